#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod billing;
mod consumption;
mod dispatchable_impls;
mod invariants;
pub mod migrations;
pub mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_billing;
#[cfg(test)]
mod tests_capacity;

pub use types::*;
pub use weights::WeightInfo;

/// A contract as this pallet stores it.
pub type ContractOf<T> = Contract<
	<T as frame_system::Config>::AccountId,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;
/// A contract's billing record as this pallet stores it.
pub type BillingInfoOf<T> = BillingInfo<
	<T as frame_system::Config>::AccountId,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{fungible, UnixTime},
	};
	use frame_system::pallet_prelude::*;
	use gridchain_primitives::{
		Balance, ContractId, DiscountLevel, NodeId, Resources, ScaledCost, TwinId,
	};
	use pallet_registry::GridRegistry;
	use pallet_tft_price::TftPriceProvider;

	/// The layout of this pallet's storage. A change of layout bumps it and ships with a
	/// migration; the runtime's `try-runtime` test fails when the two disagree.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(4);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The refundable deposit of a live contract (SPEC §4.3).
		ContractDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;
		/// TFT: holds deposits and pays bills.
		type Currency: fungible::MutateHold<
				Self::AccountId,
				Reason = Self::RuntimeHoldReason,
				Balance = Balance,
			> + fungible::Balanced<Self::AccountId, Balance = Balance>
			+ fungible::Mutate<Self::AccountId>;
		/// Twins, nodes and farm IPs.
		type Registry: GridRegistry<Self::AccountId>;
		/// The TFT price billing converts with.
		type TftPrice: TftPriceProvider;
		/// Chain time.
		type Time: UnixTime;
		/// Root or 3 of 5 of the Council: may cancel any contract and set billing parameters.
		type RestrictedOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Receives 5 % of every payment.
		#[pallet::constant]
		type StakingPoolAccount: Get<Self::AccountId>;
		/// The most weight the block hook spends settling contracts.
		#[pallet::constant]
		type SettlementWeightLimit: Get<Weight>;
		/// The fixed part of a contract's deposit: 1 TFT.
		#[pallet::constant]
		type DepositBase: Get<Balance>;
		/// The deposit per byte of `deployment_data`: 0.001 TFT.
		#[pallet::constant]
		type DepositPerByte: Get<Balance>;
		/// The most live node contracts one node holds: deleting or renting a node walks them
		/// all, so this bounds those calls' weight (SPEC §4.5).
		#[pallet::constant]
		type MaxContractsPerNode: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Builds twins, farms and nodes for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type GridSetup: pallet_registry::GridSetup<Self::AccountId>;
	}

	/// Contracts by id, each with its billing record.
	#[pallet::storage]
	pub type Contracts<T: Config> = StorageMap<_, Blake2_128Concat, ContractId, ContractOf<T>>;

	/// The last contract id: contract ids count from 1, one counter for every contract type.
	#[pallet::storage]
	pub type LastContractId<T> = StorageValue<_, ContractId, ValueQuery>;

	/// The live contracts of each twin.
	#[pallet::storage]
	pub type ContractsByTwin<T> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		TwinId,
		Blake2_128Concat,
		ContractId,
		(),
		OptionQuery,
	>;

	/// The live node contracts of each node, by deployment hash: `(node, hash)` is unique.
	#[pallet::storage]
	pub type ContractsByNode<T> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		NodeId,
		Blake2_128Concat,
		DeploymentHash,
		ContractId,
		OptionQuery,
	>;

	/// What the live node contracts of each node declare: their capacity in sum, and their
	/// number. A node's free capacity is its resources minus this (SPEC §4.5).
	#[pallet::storage]
	pub type NodeDeclared<T> = StorageMap<_, Blake2_128Concat, NodeId, NodeDeclaredUse, ValueQuery>;

	/// The live name contract of each name.
	#[pallet::storage]
	pub type ContractIdByName<T> =
		StorageMap<_, Blake2_128Concat, ContractName, ContractId, OptionQuery>;

	/// The live rent contract of each rented node.
	#[pallet::storage]
	pub type ActiveRentContractForNode<T> =
		StorageMap<_, Blake2_128Concat, NodeId, ContractId, OptionQuery>;

	/// Every live contract settles once per this many blocks.
	#[pallet::storage]
	pub type BillingFrequency<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// How many blocks a contract may stay in debt before it is deleted.
	#[pallet::storage]
	pub type GracePeriodBlocks<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// The billing pass under way, if any.
	#[pallet::storage]
	pub type BillingPass<T> = StorageValue<_, BillingPassState, OptionQuery>;

	/// What the last finished billing pass counted; the next pass sizes its share from it.
	#[pallet::storage]
	pub type LastPassCensus<T> = StorageValue<_, BillingCensus, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A contract was created; a node contract lists the public IPs it reserved.
		ContractCreated {
			contract_id: ContractId,
			twin_id: TwinId,
			node_id: Option<NodeId>,
			public_ips: Vec<ContractIp>,
			deposit: Balance,
			/// What a node contract declares it reserves; zero for the other kinds.
			capacity: Resources,
		},
		/// A node contract's deployment changed; it waits for its node to confirm.
		ContractUpdated { contract_id: ContractId, version: u32, capacity: Resources },
		/// The node confirmed the deployment.
		ContractDeployed { contract_id: ContractId, node_id: NodeId },
		/// A contract ended and was removed; its deposit was released. `unpaid` is the debt it
		/// left, for `OutOfFunds`.
		ContractCanceled { contract_id: ContractId, cause: Cause, unpaid: Balance },
		/// Public IPs of a farm were reserved for a contract.
		IpsReserved { contract_id: ContractId, public_ips: Vec<ContractIp> },
		/// A contract's public IPs went back to its farm.
		IpsFreed { contract_id: ContractId, public_ips: Vec<ContractIp> },
		/// A report was accepted; its cost accrues (uUSD × 10^9).
		ConsumptionReportReceived {
			contract_id: ContractId,
			timestamp: u64,
			window_secs: u64,
			cost_scaled_uusd: ScaledCost,
		},
		/// A report was skipped.
		ConsumptionReportRejected { contract_id: ContractId, reason: ReportRejection },
		/// A contract was settled: `amount` TFT units were paid at `discount_level`.
		ContractBilled { contract_id: ContractId, amount: Balance, discount_level: DiscountLevel },
		/// The owner could not pay; the contract owes `debt` and is in its grace period.
		ContractGracePeriodStarted { contract_id: ContractId, debt: Balance },
		/// The debt is paid; the contract is back in its previous state.
		ContractGracePeriodEnded { contract_id: ContractId },
		/// The burned share of the payments settled together.
		TokensBurned { amount: Balance },
		/// The billing frequency changed.
		BillingFrequencySet { blocks: BlockNumberFor<T> },
		/// The grace period changed.
		GracePeriodSet { blocks: BlockNumberFor<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The caller has no twin.
		TwinNotExists,
		/// There is no node with this id.
		NodeNotExists,
		/// The node is rented by another twin, or on a dedicated farm and not rented by the caller.
		NodeNotAvailableToDeploy,
		/// A live contract on this node has this deployment hash.
		ContractIsNotUnique,
		/// The node's farm has fewer public IPs than asked, in total.
		FarmHasNotEnoughPublicIPs,
		/// The node's farm has enough public IPs, but too few are free.
		FarmHasNotEnoughPublicIPsFree,
		/// `deployment_data` is larger than 8 KiB.
		DeploymentDataTooLarge,
		/// The caller's free balance cannot cover the contract deposit.
		InsufficientBalanceForDeposit,
		/// There is no live contract with this id.
		ContractNotExists,
		/// Only the contract's owner may do this.
		NotContractOwner,
		/// Only the contract's node may do this.
		NotContractNode,
		/// Only the owner or the contract's node may cancel it.
		NotAllowedToCancel,
		/// The call is only for node contracts.
		NotANodeContract,
		/// A contract in its grace period cannot be updated; pay its debt first.
		ContractInGracePeriod,
		/// The hash is not the contract's current deployment hash.
		DeploymentHashMismatch,
		/// Only a contract in state `Created` can be confirmed.
		ContractNotAwaitingDeployment,
		/// A rent contract cannot end while node contracts live on its node.
		NodeHasActiveContracts,
		/// The node is rented already.
		NodeAlreadyRented,
		/// The node has contracts of other twins; it cannot be rented.
		NodeHasContractsOfOtherTwins,
		/// A name has at least 3 characters.
		NameTooShort,
		/// A name has at most 64 characters.
		NameTooLong,
		/// A name holds only `a-z 0-9 _ -`.
		NameInvalidCharacters,
		/// A live name contract has this name.
		NameExists,
		/// No more contract ids can be issued.
		ContractIdsExhausted,
		/// Only a registered node reports consumption.
		NotANode,
		/// A billing frequency of zero blocks would never bill.
		ZeroBillingFrequency,
		/// The contract's pricing policy does not exist.
		PricingPolicyNotExists,
		/// The node's free capacity (its resources minus what its live node contracts declare)
		/// does not cover the capacity asked.
		NodeHasNotEnoughCapacity,
		/// The node holds `MaxContractsPerNode` live node contracts already.
		TooManyContractsOnNode,
	}

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Blocks between two settlements of a contract.
		pub billing_frequency: BlockNumberFor<T>,
		/// Blocks a contract may stay in debt.
		pub grace_period_blocks: BlockNumberFor<T>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		/// Production values: settle every 600 blocks (1 h), 14 days (201,600 blocks) of grace.
		fn default() -> Self {
			GenesisConfig {
				billing_frequency: 600u32.into(),
				grace_period_blocks: 201_600u32.into(),
			}
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(!self.billing_frequency.is_zero(), "SmartContract: billing frequency is zero");
			BillingFrequency::<T>::put(self.billing_frequency);
			GracePeriodBlocks::<T>::put(self.grace_period_blocks);
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Settle the contracts due in this block, within `SettlementWeightLimit`.
		fn on_initialize(n: BlockNumberFor<T>) -> Weight {
			Self::settle_due_contracts(n)
		}

		/// The settlement budget must hold the heaviest settlement, or a pass could stall; and
		/// the calls that walk a full node must fit in a block.
		fn integrity_test() {
			let max_extrinsic = T::BlockWeights::get()
				.get(DispatchClass::Normal)
				.max_extrinsic
				.unwrap_or_else(|| T::BlockWeights::get().max_block);
			let full = T::MaxContractsPerNode::get();
			assert!(
				Self::node_deletion_weight(full, full.min(pallet_registry::MAX_FARM_IPS))
					.all_lte(max_extrinsic),
				"MaxContractsPerNode: ending a full node's contracts does not fit in a block"
			);
			assert!(
				T::WeightInfo::create_rent_contract(full).all_lte(max_extrinsic),
				"MaxContractsPerNode: renting a full node does not fit in a block"
			);
			let db = T::DbWeight::get();
			let one_block = Self::heaviest_settlement()
				.saturating_add(T::WeightInfo::distribute_payments())
				.saturating_add(db.reads_writes(7, 2));
			assert!(
				one_block.all_lte(T::SettlementWeightLimit::get()),
				"SettlementWeightLimit is below one settlement: billing passes would stall"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Register a workload on a node. Any twin.
		///
		/// The node must exist and be available to the caller: not rented by another twin, and
		/// not on a dedicated farm unless the caller rents it. Its free capacity must cover
		/// `capacity`, what the deployment reserves (SPEC §9.2), and it must hold fewer than
		/// `MaxContractsPerNode` node contracts. `(node_id, deployment_hash)` is
		/// unique among live contracts. `deployment_data` is the deployment encrypted with the
		/// caller's key, at most 8 KiB, stored as is. `public_ips` free IPs of the node's farm are
		/// reserved, all or none. Holds the deposit. Emits `IpsReserved` (with IPs) and
		/// `ContractCreated`; the contract starts `Created`.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::create_node_contract((*public_ips).min(pallet_registry::MAX_FARM_IPS)))]
		pub fn create_node_contract(
			origin: OriginFor<T>,
			node_id: NodeId,
			deployment_hash: DeploymentHash,
			deployment_data: Vec<u8>,
			public_ips: u32,
			capacity: Resources,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_create_node_contract(
				who,
				node_id,
				deployment_hash,
				deployment_data,
				public_ips,
				capacity,
			)
		}

		/// Replace a node contract's deployment. Only the owner, not during a grace period.
		///
		/// Bumps `version` and returns the contract to `Created` until its node confirms the new
		/// hash. The deposit follows the new data size; a resource of `capacity` that grows must
		/// fit the node's free capacity. Emits `ContractUpdated`.
		#[pallet::call_index(1)]
		pub fn update_node_contract(
			origin: OriginFor<T>,
			contract_id: ContractId,
			deployment_hash: DeploymentHash,
			deployment_data: Vec<u8>,
			capacity: Resources,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_node_contract(
				who,
				contract_id,
				deployment_hash,
				deployment_data,
				capacity,
			)
		}

		/// End a contract: the owner (cause `CanceledByUser`) or the contract's node
		/// (`CanceledByNode`).
		///
		/// Frees its IPs (`IpsFreed`), releases the deposit and removes it
		/// (`ContractCanceled`). A rent contract cannot end while node contracts live on its node.
		#[pallet::call_index(2)]
		pub fn cancel_contract(origin: OriginFor<T>, contract_id: ContractId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_contract(who, contract_id)
		}

		/// Reserve a unique name: `[a-z0-9_-]`, 3..=64. Any twin. Holds the deposit.
		/// Emits `ContractCreated`.
		#[pallet::call_index(3)]
		pub fn create_name_contract(origin: OriginFor<T>, name: Vec<u8>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_create_name_contract(who, name)
		}

		/// Rent a whole node. Any twin; one rent contract per node, and the node may hold no
		/// contracts of other twins. While rented, only the renter deploys on it. Holds the
		/// deposit. Emits `ContractCreated`.
		///
		/// Walks the node's contracts: charged for a full node (`MaxContractsPerNode`), refunded
		/// to the contracts it walked.
		#[pallet::call_index(4)]
		#[pallet::weight(<T as Config>::WeightInfo::create_rent_contract(T::MaxContractsPerNode::get()))]
		pub fn create_rent_contract(
			origin: OriginFor<T>,
			node_id: NodeId,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let walked = Self::do_create_rent_contract(who, node_id)?;
			Ok(Some(T::WeightInfo::create_rent_contract(walked)).into())
		}

		/// Confirm a deployment. Only the contract's node, with the contract's current hash.
		/// Moves `Created → Deployed` and emits `ContractDeployed`.
		#[pallet::call_index(5)]
		pub fn confirm_deployment(
			origin: OriginFor<T>,
			contract_id: ContractId,
			deployment_hash: DeploymentHash,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_confirm_deployment(who, contract_id, deployment_hash)
		}

		/// End any contract, cause `CanceledByCollective`. Restricted origin.
		#[pallet::call_index(6)]
		pub fn cancel_contract_collective(
			origin: OriginFor<T>,
			contract_id: ContractId,
		) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			Self::do_cancel_contract_collective(contract_id)
		}

		/// Report what contracts use (SPEC §6.1). Only a registered node, up to 256 reports.
		///
		/// Each report's cost accrues to its contract; nothing is transferred. A bad report is
		/// skipped with `ConsumptionReportRejected` while the good ones count; the others emit
		/// `ConsumptionReportReceived`. Error: `NotANode`.
		///
		/// Charged as if every report read the largest record a contract can have (8 KiB of data,
		/// 256 IPs); refunded to the records of the node's own contracts it read, and a refused
		/// report's write.
		#[pallet::call_index(7)]
		#[pallet::weight(Pallet::<T>::report_consumption_max_weight(reports.len() as u32))]
		pub fn report_consumption(
			origin: OriginFor<T>,
			reports: BoundedVec<Consumption, ConstU32<MAX_REPORTS>>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let weight = Self::do_report_consumption(who, reports.into_inner())?;
			Ok(Some(weight).into())
		}

		/// Settle a contract now (SPEC §6.3). Anyone: an owner who topped up leaves the grace
		/// period without waiting for the billing cycle.
		///
		/// Charged as if the contract were deleted (the heaviest path); the difference to the
		/// path it took is refunded.
		#[pallet::call_index(8)]
		#[pallet::weight(Pallet::<T>::settle_contract_weight(None))]
		pub fn settle_contract(
			origin: OriginFor<T>,
			contract_id: ContractId,
		) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let settled = Self::do_settle_contract(contract_id)?;
			Ok(Some(Self::settle_contract_weight(Some(settled))).into())
		}

		/// Set the blocks between two settlements of a contract. Restricted origin; not zero.
		#[pallet::call_index(9)]
		pub fn set_billing_frequency(
			origin: OriginFor<T>,
			blocks: BlockNumberFor<T>,
		) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			ensure!(!blocks.is_zero(), Error::<T>::ZeroBillingFrequency);
			BillingFrequency::<T>::put(blocks);
			Self::deposit_event(Event::BillingFrequencySet { blocks });
			Ok(())
		}

		/// Set how many blocks a contract may stay in debt. Restricted origin.
		#[pallet::call_index(10)]
		pub fn set_grace_period(origin: OriginFor<T>, blocks: BlockNumberFor<T>) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			GracePeriodBlocks::<T>::put(blocks);
			Self::deposit_event(Event::GracePeriodSet { blocks });
			Ok(())
		}
	}
}
