//! Benchmarks of the price calls, each at its worst case.

use super::*;
use crate::Pallet as TftPricePallet;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::RawOrigin;

/// Fill the oracle list and the price ring, as on a chain that has run a while.
fn full_history<T: Config>() -> T::AccountId {
	let oracle: T::AccountId = whitelisted_caller();
	let mut oracles: BoundedVec<T::AccountId, T::MaxOracles> = BoundedVec::new();
	for i in 1..T::MaxOracles::get() {
		let _ = oracles.try_push(account("oracle", i, 0));
	}
	let _ = oracles.try_push(oracle.clone());
	PriceOracles::<T>::put(oracles);
	MinTftPrice::<T>::put(10);
	MaxTftPrice::<T>::put(1000);
	for _ in 0..AVERAGE_WINDOW {
		TftPricePallet::<T>::store_price(50);
	}
	oracle
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_price() {
		let oracle = full_history::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(oracle), 70);
		assert_eq!(TftPrice::<T>::get(), 70);
	}

	#[benchmark]
	fn set_min_price() -> Result<(), BenchmarkError> {
		full_history::<T>();
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 20);
		assert_eq!(MinTftPrice::<T>::get(), 20);
		Ok(())
	}

	#[benchmark]
	fn set_max_price() -> Result<(), BenchmarkError> {
		full_history::<T>();
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 500);
		assert_eq!(MaxTftPrice::<T>::get(), 500);
		Ok(())
	}

	#[benchmark]
	fn add_price_oracle() -> Result<(), BenchmarkError> {
		let mut oracles: BoundedVec<T::AccountId, T::MaxOracles> = BoundedVec::new();
		for i in 1..T::MaxOracles::get() {
			let _ = oracles.try_push(account("oracle", i, 0));
		}
		PriceOracles::<T>::put(oracles);
		let new: T::AccountId = account("new", 0, 0);
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, new.clone());
		assert!(PriceOracles::<T>::get().contains(&new));
		Ok(())
	}

	#[benchmark]
	fn remove_price_oracle() -> Result<(), BenchmarkError> {
		let oracle = full_history::<T>();
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, oracle.clone());
		assert!(!PriceOracles::<T>::get().contains(&oracle));
		Ok(())
	}

	impl_benchmark_test_suite!(TftPricePallet, crate::mock::new_test_ext(), crate::mock::Test);
}
