//! Storage migrations, each checked by `try-runtime` before it ships.

/// Version 2 keeps the last contract id and the live count in one value (`ContractCounters`):
/// creating a contract reads and writes one counter instead of two.
pub mod v2 {
	use crate::Pallet;
	use codec::{Decode, Encode, MaxEncodedLen};
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::ValueQuery,
		storage_alias,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use gridchain_primitives::ContractId;
	use scale_info::TypeInfo;
	#[cfg(feature = "try-runtime")]
	use {alloc::vec::Vec, sp_runtime::TryRuntimeError};

	/// Version 2's counters.
	#[derive(
		Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default,
	)]
	pub struct Counters {
		/// The number of contracts ever created: the last contract id.
		pub last_id: ContractId,
		/// The number of live contracts.
		pub live: u64,
	}

	/// Version 2's counters, in one value.
	#[storage_alias]
	pub type ContractCounters<T: crate::Config> = StorageValue<Pallet<T>, Counters, ValueQuery>;

	/// Version 1's last contract id.
	#[storage_alias]
	pub type ContractCount<T: crate::Config> = StorageValue<Pallet<T>, ContractId, ValueQuery>;

	/// Version 1's live contract count.
	#[storage_alias]
	pub type LiveContractCount<T: crate::Config> = StorageValue<Pallet<T>, u64, ValueQuery>;

	/// Move the two counters into `ContractCounters`.
	pub struct MergeCounters<T>(core::marker::PhantomData<T>);

	impl<T: crate::Config> UncheckedOnRuntimeUpgrade for MergeCounters<T> {
		fn on_runtime_upgrade() -> Weight {
			let counters = Counters {
				last_id: ContractCount::<T>::take(),
				live: LiveContractCount::<T>::take(),
			};
			ContractCounters::<T>::put(counters);
			T::DbWeight::get().reads_writes(2, 3)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			Ok((ContractCount::<T>::get(), LiveContractCount::<T>::get()).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let (last_id, live) = <(ContractId, u64)>::decode(&mut &state[..])
				.map_err(|_| TryRuntimeError::Other("the pre-upgrade counters do not decode"))?;
			frame_support::ensure!(
				ContractCounters::<T>::get() == Counters { last_id, live },
				"ContractCounters differ from the version 1 counters"
			);
			frame_support::ensure!(
				!ContractCount::<T>::exists() && !LiveContractCount::<T>::exists(),
				"a version 1 counter is left behind"
			);
			Ok(())
		}
	}

	/// From storage version 1 to 2; does nothing at any other version.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		MergeCounters<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 3 keeps each contract's billing record in its contract record, and no live count:
/// creating and ending a contract each write one record and one counter fewer. The next billing
/// pass is sized from what the last one counted (`LastPassCensus`).
///
/// It rewrites every contract in one block: sized for the chains of today, not for a chain with
/// hundreds of thousands of contracts, which would need a multi-block migration.
pub mod v3 {
	use crate::{
		BillingCensus, BillingInfo, BillingKind, BillingPass, BillingPassState, Contract,
		ContractState, ContractType, Contracts, LastContractId, LastPassCensus, Pallet,
	};
	use codec::{Decode, Encode};
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::{ConstU32, OptionQuery},
		storage::StoragePrefixedMap,
		storage_alias,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
		Blake2_128Concat, BoundedVec,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use gridchain_primitives::{
		Balance, ContractId, NodeId, PricingPolicyId, Resources, ScaledCost, TwinId,
	};
	#[cfg(feature = "try-runtime")]
	use {crate::ContractOf, alloc::vec::Vec, sp_runtime::TryRuntimeError};

	/// Version 2's contract record: version 3's without `billing`.
	#[derive(Encode, Decode)]
	pub struct ContractV2<BlockNumber> {
		/// Bumped on every update.
		pub version: u32,
		/// The contract id.
		pub contract_id: ContractId,
		/// The owner.
		pub twin_id: TwinId,
		/// What it is for.
		pub contract_type: ContractType,
		/// Where it is in its life.
		pub state: ContractState<BlockNumber>,
	}

	/// Version 2's billing kind: it also held the node and IPs the contract record holds.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub enum BillingKindV2 {
		/// A node contract.
		Node {
			/// Its node (the record's own in version 3).
			node_id: NodeId,
			/// Its IPs (the record's own in version 3).
			public_ips: u32,
			/// What the latest report said it uses.
			used: Resources,
			/// The hourly cost of `used`.
			hourly_capacity_cost: ScaledCost,
			/// The latest report's timestamp.
			last_report_secs: u64,
		},
		/// A name contract.
		Name,
		/// A rent contract.
		Rent {
			/// The rented node (the record's own in version 3).
			node_id: NodeId,
		},
	}

	/// Version 2's billing record.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct BillingInfoV2<AccountId, BlockNumber> {
		/// Who pays.
		pub owner: AccountId,
		/// The pricing policy billed with.
		pub pricing_policy_id: PricingPolicyId,
		/// What kind of charges apply.
		pub kind: BillingKindV2,
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

	/// Version 2's billing record as a pallet stored it.
	pub type BillingInfoV2Of<T> =
		BillingInfoV2<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

	impl<A, B> BillingInfoV2<A, B> {
		/// Version 3's record: the same, the node and IPs left to the contract record.
		pub fn into_v3(self) -> BillingInfo<A, B> {
			let kind = match self.kind {
				BillingKindV2::Node { used, hourly_capacity_cost, last_report_secs, .. } => {
					BillingKind::Node { used, hourly_capacity_cost, last_report_secs }
				}
				BillingKindV2::Name => BillingKind::Name,
				BillingKindV2::Rent { .. } => BillingKind::Rent,
			};
			BillingInfo {
				owner: self.owner,
				pricing_policy_id: self.pricing_policy_id,
				kind,
				accrued: self.accrued,
				debt: self.debt,
				last_settled_secs: self.last_settled_secs,
				grace: self.grace,
				deposit: self.deposit,
			}
		}

		/// Version 2's record of a version 3 contract (to build version 2 states in tests).
		pub fn of(contract: &Contract<A, B>) -> Self
		where
			A: Clone,
			B: Clone,
		{
			let billing = contract.billing.clone();
			let kind = match (&contract.contract_type, billing.kind) {
				(
					ContractType::Node(nc),
					BillingKind::Node { used, hourly_capacity_cost, last_report_secs },
				) => BillingKindV2::Node {
					node_id: nc.node_id,
					public_ips: nc.public_ips,
					used,
					hourly_capacity_cost,
					last_report_secs,
				},
				(ContractType::Rent { node_id }, _) => BillingKindV2::Rent { node_id: *node_id },
				_ => BillingKindV2::Name,
			};
			BillingInfoV2 {
				owner: billing.owner,
				pricing_policy_id: billing.pricing_policy_id,
				kind,
				accrued: billing.accrued,
				debt: billing.debt,
				last_settled_secs: billing.last_settled_secs,
				grace: billing.grace,
				deposit: billing.deposit,
			}
		}
	}

	/// Version 2's billing records, beside the contracts.
	#[storage_alias]
	pub type Billing<T: crate::Config> =
		StorageMap<Pallet<T>, Blake2_128Concat, ContractId, BillingInfoV2Of<T>, OptionQuery>;

	/// Version 2's billing pass.
	#[derive(Encode, Decode)]
	pub struct BillingPassV2 {
		/// The raw key in `Billing` of the last contract settled.
		pub cursor: Option<BoundedVec<u8, ConstU32<128>>>,
		/// Contracts to settle per block.
		pub per_block: u32,
	}

	/// Version 2's values under their version 2 names.
	pub mod stored {
		use super::*;

		/// Version 2's billing pass, as stored.
		#[storage_alias]
		pub type BillingPass<T: crate::Config> =
			StorageValue<Pallet<T>, BillingPassV2, OptionQuery>;
	}

	/// Move each billing record into its contract, the last id into `LastContractId`, the live
	/// count into the census, and the pass cursor from `Billing` keys to `Contracts` keys.
	pub struct MergeBilling<T>(core::marker::PhantomData<T>);

	impl<T: crate::Config> UncheckedOnRuntimeUpgrade for MergeBilling<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut moved: u64 = 0;
			Contracts::<T>::translate::<ContractV2<BlockNumberFor<T>>, _>(|id, old| {
				let Some(billing) = Billing::<T>::take(id) else {
					// Version 2's invariants forbid it, and `pre_upgrade` checks it.
					log::error!(target: "runtime::smart-contract", "contract {id} had no billing record; removed");
					return None;
				};
				moved = moved.saturating_add(1);
				Some(Contract {
					version: old.version,
					contract_id: old.contract_id,
					twin_id: old.twin_id,
					contract_type: old.contract_type,
					state: old.state,
					billing: billing.into_v3(),
				})
			});
			// Billing records of dead contracts: none under version 2's invariants.
			let stale = Billing::<T>::clear(u32::MAX, None).unique;

			let counters = super::v2::ContractCounters::<T>::take();
			LastContractId::<T>::put(counters.last_id);
			let old_pass = stored::BillingPass::<T>::take();
			// Every contract moved is live, whatever version 2's counter said: the census counts
			// them, and a pass under way counts them as settled already, so that the census it
			// leaves when it ends still counts the contracts it settled before the upgrade.
			LastPassCensus::<T>::put(BillingCensus {
				settled: moved,
				last_id_at_start: counters.last_id,
			});
			let pass_moved = old_pass.is_some();
			if let Some(old) = old_pass {
				let cursor = old.cursor.and_then(|key| {
					let suffix = key.get(32..)?;
					let prefix = Contracts::<T>::final_prefix();
					[&prefix[..], suffix].concat().try_into().ok()
				});
				BillingPass::<T>::put(BillingPassState {
					cursor,
					per_block: old.per_block,
					settled: moved,
					last_id_at_start: counters.last_id,
				});
			}
			// Per contract: its record and its billing record read, the one written, the other
			// removed. Then the counters and the pass read; the last id, the census, the counters'
			// removal and, with a pass, its removal and its new value written.
			let pass_writes = if pass_moved { 2 } else { 0 };
			T::DbWeight::get().reads_writes(
				moved.saturating_mul(2).saturating_add(2),
				moved
					.saturating_mul(2)
					.saturating_add(u64::from(stale))
					.saturating_add(3 + pass_writes),
			)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let mut records = Vec::new();
			for id in Contracts::<T>::iter_keys() {
				let billing =
					Billing::<T>::get(id).ok_or("a version 2 contract without a billing record")?;
				records.push((id, billing));
			}
			let pass = stored::BillingPass::<T>::get().map(|p| p.per_block);
			Ok((records, super::v2::ContractCounters::<T>::get(), pass).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let (records, counters, pass) = <(
				Vec<(ContractId, BillingInfoV2Of<T>)>,
				super::v2::Counters,
				Option<u32>,
			)>::decode(&mut &state[..])
			.map_err(|_| TryRuntimeError::Other("the pre-upgrade state does not decode"))?;
			frame_support::ensure!(
				Contracts::<T>::iter_keys().count() == records.len(),
				"contracts were lost moving their billing records"
			);
			for (id, billing) in &records {
				let contract: Option<ContractOf<T>> = Contracts::<T>::get(id);
				frame_support::ensure!(
					contract.is_some_and(|c| BillingInfoV2::of(&c) == *billing),
					"a contract does not carry its version 2 billing record"
				);
			}
			let live = records.len() as u64;
			frame_support::ensure!(
				LastPassCensus::<T>::get()
					== BillingCensus { settled: live, last_id_at_start: counters.last_id },
				"the census does not count the contracts moved"
			);
			let new_pass = BillingPass::<T>::get();
			frame_support::ensure!(
				new_pass.as_ref().map(|p| p.per_block) == pass,
				"the billing pass was not carried over"
			);
			if let Some(cursor) = new_pass.and_then(|p| p.cursor) {
				frame_support::ensure!(
					cursor.starts_with(&Contracts::<T>::final_prefix()),
					"the pass cursor is not a key of Contracts"
				);
			}
			frame_support::ensure!(
				Billing::<T>::iter_keys().next().is_none(),
				"a version 2 billing record is left behind"
			);
			frame_support::ensure!(
				!super::v2::ContractCounters::<T>::exists(),
				"the version 2 counters are left behind"
			);
			frame_support::ensure!(
				LastContractId::<T>::get() == counters.last_id,
				"LastContractId differs from the version 2 counter"
			);
			Ok(())
		}
	}

	/// From storage version 2 to 3; does nothing at any other version.
	pub type MigrateV2ToV3<T> =
		VersionedMigration<2, 3, MergeBilling<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
