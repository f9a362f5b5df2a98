//! Storage migrations, each checked by `try-runtime` before it ships.

/// Version 2 keeps the last contract id and the live count in one value (`ContractCounters`):
/// creating a contract reads and writes one counter instead of two.
pub mod v2 {
	use crate::{ContractCounters, Counters, Pallet};
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::ValueQuery,
		storage_alias,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use gridchain_primitives::ContractId;
	#[cfg(feature = "try-runtime")]
	use {
		alloc::vec::Vec,
		codec::{Decode, Encode},
		sp_runtime::TryRuntimeError,
	};

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
