//! Storage migrations, each checked by `try-runtime` before it ships.

/// Version 2 stores the price billing converts with (`BillingTftPrice`: the average clamped to
/// [min, max]), so that a settlement reads one value instead of three.
pub mod v2 {
	use crate::{Config, Pallet};
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	#[cfg(feature = "try-runtime")]
	use {
		crate::BillingTftPrice,
		alloc::vec::Vec,
		codec::{Decode, Encode},
		sp_runtime::TryRuntimeError,
	};

	/// Compute and store `BillingTftPrice`.
	pub struct StoreBillingPrice<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for StoreBillingPrice<T> {
		fn on_runtime_upgrade() -> Weight {
			Pallet::<T>::refresh_billing_price();
			T::DbWeight::get().reads_writes(3, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			Ok(Pallet::<T>::clamped_average().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let expected = u32::decode(&mut &state[..])
				.map_err(|_| TryRuntimeError::Other("the pre-upgrade price does not decode"))?;
			frame_support::ensure!(
				BillingTftPrice::<T>::get() == expected,
				"BillingTftPrice is not the clamped average from before the upgrade"
			);
			Ok(())
		}
	}

	/// From storage version 1 to 2; does nothing at any other version.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		StoreBillingPrice<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
