//! Storage migrations, each checked by `try-runtime` before it ships.
//!
//! A migration leaves this file once every chain has run it: versions 2 (one counter value) and
//! 3 (billing records inside their contracts) were retired with version 4; the CHANGELOG says
//! what each did.

/// Version 4 gives each node contract its declared capacity (SPEC §4.5) and each node the sum of
/// what its contracts declare (`NodeDeclared`).
///
/// A contract of version 3 declared nothing: it is taken to declare what its latest report said
/// it uses (zero if none came), the most the chain ever billed it for. It counts as deployed once
/// if its node confirmed it, or reported on it. It rewrites every contract in one block: sized for
/// the chains of today, not for one with hundreds of thousands of contracts, which would need a
/// multi-block migration.
pub mod v4 {
	use crate::{
		BillingInfo, BillingKind, Contract, ContractIp, ContractName, ContractState, ContractType,
		Contracts, DeploymentData, DeploymentHash, NodeContract, NodeDeclared, NodeDeclaredUse,
		Pallet,
	};
	use alloc::collections::btree_map::BTreeMap;
	use codec::{Decode, Encode};
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::ConstU32,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
		BoundedVec,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use gridchain_primitives::{
		Balance, ContractId, NodeId, PricingPolicyId, Resources, ScaledCost, TwinId,
	};
	use pallet_registry::MAX_FARM_IPS;
	#[cfg(feature = "try-runtime")]
	use {alloc::vec::Vec, sp_runtime::TryRuntimeError};

	/// Version 3's node contract: version 4's without `capacity`.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct NodeContractV3 {
		/// The node that serves it.
		pub node_id: NodeId,
		/// The user's hash of the deployment.
		pub deployment_hash: DeploymentHash,
		/// The deployment, encrypted.
		pub deployment_data: DeploymentData,
		/// How many public IPs it holds.
		pub public_ips: u32,
		/// The public IPs it holds.
		pub public_ips_list: BoundedVec<ContractIp, ConstU32<MAX_FARM_IPS>>,
	}

	/// Version 3's contract types.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub enum ContractTypeV3 {
		/// A workload on a node.
		Node(NodeContractV3),
		/// A unique name.
		Name {
			/// The name.
			name: ContractName,
		},
		/// A rented node.
		Rent {
			/// The node.
			node_id: NodeId,
		},
	}

	/// Version 3's billing kinds: a node contract's without `ever_deployed`.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub enum BillingKindV3 {
		/// A node contract.
		Node {
			/// What the latest report said it uses.
			used: Resources,
			/// The hourly cost of `used`.
			hourly_capacity_cost: ScaledCost,
			/// The latest report's timestamp, or the creation time.
			last_report_secs: u64,
		},
		/// A name contract.
		Name,
		/// A rent contract.
		Rent,
	}

	/// Version 3's billing record.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct BillingInfoV3<AccountId, BlockNumber> {
		/// Who pays.
		pub owner: AccountId,
		/// The pricing policy billed with.
		pub pricing_policy_id: PricingPolicyId,
		/// What kind of charges apply.
		pub kind: BillingKindV3,
		/// Usage cost accrued since the last settlement.
		pub accrued: ScaledCost,
		/// TFT owed.
		pub debt: Balance,
		/// Chain time of the last settlement.
		pub last_settled_secs: u64,
		/// Grace period start and whether the contract was deployed.
		pub grace: Option<(BlockNumber, bool)>,
		/// The deposit held.
		pub deposit: Balance,
	}

	/// Version 3's contract record.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct ContractV3<AccountId, BlockNumber> {
		/// Bumped on every update.
		pub version: u32,
		/// The contract id.
		pub contract_id: ContractId,
		/// The owner.
		pub twin_id: TwinId,
		/// What it is for.
		pub contract_type: ContractTypeV3,
		/// Where it is in its life.
		pub state: ContractState<BlockNumber>,
		/// What settling it needs.
		pub billing: BillingInfoV3<AccountId, BlockNumber>,
	}

	/// Version 3's contract record as a pallet stored it.
	pub type ContractV3Of<T> =
		ContractV3<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

	impl<A, B> ContractV3<A, B> {
		/// Version 4's record: a node contract declares what its latest report said it uses,
		/// and counts as deployed once if its node confirmed it or reported on it.
		pub fn into_v4(self) -> Contract<A, B> {
			let deployed_before = matches!(self.state, ContractState::Deployed)
				|| matches!(self.billing.grace, Some((_, true)));
			let (kind, declared) = match self.billing.kind {
				BillingKindV3::Node { used, hourly_capacity_cost, last_report_secs } => {
					let ever_deployed = deployed_before || used != Resources::default();
					let kind = BillingKind::Node {
						used,
						hourly_capacity_cost,
						last_report_secs,
						ever_deployed,
					};
					(kind, used)
				}
				BillingKindV3::Name => (BillingKind::Name, Resources::default()),
				BillingKindV3::Rent => (BillingKind::Rent, Resources::default()),
			};
			let contract_type = match self.contract_type {
				ContractTypeV3::Node(nc) => ContractType::Node(NodeContract {
					node_id: nc.node_id,
					deployment_hash: nc.deployment_hash,
					deployment_data: nc.deployment_data,
					public_ips: nc.public_ips,
					public_ips_list: nc.public_ips_list,
					capacity: declared,
				}),
				ContractTypeV3::Name { name } => ContractType::Name { name },
				ContractTypeV3::Rent { node_id } => ContractType::Rent { node_id },
			};
			Contract {
				version: self.version,
				contract_id: self.contract_id,
				twin_id: self.twin_id,
				contract_type,
				state: self.state,
				billing: BillingInfo {
					owner: self.billing.owner,
					pricing_policy_id: self.billing.pricing_policy_id,
					kind,
					accrued: self.billing.accrued,
					debt: self.billing.debt,
					last_settled_secs: self.billing.last_settled_secs,
					grace: self.billing.grace,
					deposit: self.billing.deposit,
				},
			}
		}

		/// Version 3's record of a version 4 contract (to build version 3 states in tests).
		pub fn of(contract: &Contract<A, B>) -> Self
		where
			A: Clone,
			B: Clone,
		{
			let contract = contract.clone();
			let contract_type = match contract.contract_type {
				ContractType::Node(nc) => ContractTypeV3::Node(NodeContractV3 {
					node_id: nc.node_id,
					deployment_hash: nc.deployment_hash,
					deployment_data: nc.deployment_data,
					public_ips: nc.public_ips,
					public_ips_list: nc.public_ips_list,
				}),
				ContractType::Name { name } => ContractTypeV3::Name { name },
				ContractType::Rent { node_id } => ContractTypeV3::Rent { node_id },
			};
			let kind = match contract.billing.kind {
				BillingKind::Node { used, hourly_capacity_cost, last_report_secs, .. } => {
					BillingKindV3::Node { used, hourly_capacity_cost, last_report_secs }
				}
				BillingKind::Name => BillingKindV3::Name,
				BillingKind::Rent => BillingKindV3::Rent,
			};
			let billing = contract.billing;
			ContractV3 {
				version: contract.version,
				contract_id: contract.contract_id,
				twin_id: contract.twin_id,
				contract_type,
				state: contract.state,
				billing: BillingInfoV3 {
					owner: billing.owner,
					pricing_policy_id: billing.pricing_policy_id,
					kind,
					accrued: billing.accrued,
					debt: billing.debt,
					last_settled_secs: billing.last_settled_secs,
					grace: billing.grace,
					deposit: billing.deposit,
				},
			}
		}
	}

	/// Version 3's contracts, as stored.
	pub mod stored {
		use super::*;

		/// Version 3's contract records.
		#[frame_support::storage_alias]
		pub type Contracts<T: crate::Config> = StorageMap<
			Pallet<T>,
			frame_support::Blake2_128Concat,
			ContractId,
			ContractV3Of<T>,
			frame_support::pallet_prelude::OptionQuery,
		>;
	}

	/// Give every node contract its declared capacity and every node the sum of its contracts'.
	pub struct DeclareCapacity<T>(core::marker::PhantomData<T>);

	impl<T: crate::Config> UncheckedOnRuntimeUpgrade for DeclareCapacity<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut moved: u64 = 0;
			let mut declared: BTreeMap<NodeId, NodeDeclaredUse> = BTreeMap::new();
			Contracts::<T>::translate::<ContractV3Of<T>, _>(|_, old| {
				moved = moved.saturating_add(1);
				let contract = old.into_v4();
				if let Some(nc) = contract.node_contract() {
					declared.entry(nc.node_id).or_default().add(&nc.capacity);
				}
				Some(contract)
			});
			let nodes = declared.len() as u64;
			for (node_id, use_) in declared {
				NodeDeclared::<T>::insert(node_id, use_);
			}
			// Each contract read and written; each node's sum written.
			T::DbWeight::get().reads_writes(moved, moved.saturating_add(nodes))
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			frame_support::ensure!(
				NodeDeclared::<T>::iter_keys().next().is_none(),
				"a version 3 chain with NodeDeclared entries"
			);
			let contracts: Vec<(ContractId, ContractV3Of<T>)> = stored::Contracts::<T>::iter_keys()
				.map(|id| {
					stored::Contracts::<T>::get(id)
						.map(|c| (id, c))
						.ok_or(TryRuntimeError::Other("a contract is not a version 3 record"))
				})
				.collect::<Result<_, _>>()?;
			Ok(contracts.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before = <Vec<(ContractId, ContractV3Of<T>)>>::decode(&mut &state[..])
				.map_err(|_| TryRuntimeError::Other("the pre-upgrade state does not decode"))?;
			frame_support::ensure!(
				Contracts::<T>::iter_keys().count() == before.len(),
				"contracts were lost declaring their capacity"
			);
			let mut sums: BTreeMap<NodeId, NodeDeclaredUse> = BTreeMap::new();
			for (id, old) in before {
				let Some(contract) = Contracts::<T>::get(id) else {
					return Err("a contract is missing after the upgrade".into());
				};
				frame_support::ensure!(
					ContractV3::of(&contract) == old,
					"a contract changed beyond its new fields"
				);
				if let (Some(nc), BillingKind::Node { used, ever_deployed, .. }) =
					(contract.node_contract(), &contract.billing.kind)
				{
					frame_support::ensure!(
						nc.capacity == *used,
						"a contract does not declare what it last reported"
					);
					frame_support::ensure!(
						*ever_deployed || contract.state != ContractState::Deployed,
						"a deployed contract is not marked deployed"
					);
					sums.entry(nc.node_id).or_default().add(&nc.capacity);
				}
			}
			frame_support::ensure!(
				NodeDeclared::<T>::iter().collect::<BTreeMap<_, _>>() == sums,
				"NodeDeclared is not the sum of its nodes' contracts"
			);
			Ok(())
		}
	}

	/// From storage version 3 to 4; does nothing at any other version.
	pub type MigrateV3ToV4<T> = VersionedMigration<
		3,
		4,
		DeclareCapacity<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
