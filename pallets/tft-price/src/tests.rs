//! One test per rule of SPEC §7.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

#[test]
fn genesis_sets_price_average_and_bounds() {
	new_test_ext().execute_with(|| {
		assert_eq!(crate::TftPrice::<Test>::get(), 50);
		assert_eq!(AverageTftPrice::<Test>::get(), 50);
		assert_eq!(MinTftPrice::<Test>::get(), 10);
		assert_eq!(MaxTftPrice::<Test>::get(), 1000);
		assert_eq!(PriceHistory::<Test>::get().to_vec(), vec![50]);
	});
}

#[test]
fn an_oracle_sets_the_price_and_the_average_follows() {
	new_test_ext().execute_with(|| {
		assert_ok!(Pallet::<Test>::set_price(RuntimeOrigin::signed(ORACLE), 70));
		assert_eq!(crate::TftPrice::<Test>::get(), 70);
		// (50 + 70) / 2
		assert_eq!(AverageTftPrice::<Test>::get(), 60);
		System::assert_has_event(Event::PriceStored { price_musd: 70 }.into());
		System::assert_last_event(Event::AveragePriceStored { price_musd: 60 }.into());
	});
}

#[test]
fn the_average_rounds_to_the_nearest_musd() {
	new_test_ext().execute_with(|| {
		assert_ok!(Pallet::<Test>::set_price(RuntimeOrigin::signed(ORACLE), 51));
		// (50 + 51) / 2 = 50.5 -> 51
		assert_eq!(AverageTftPrice::<Test>::get(), 51);
		assert_ok!(Pallet::<Test>::set_price(RuntimeOrigin::signed(ORACLE), 50));
		// 151 / 3 = 50.33 -> 50
		assert_eq!(AverageTftPrice::<Test>::get(), 50);
	});
}

#[test]
fn the_average_covers_only_the_last_1440_prices() {
	new_test_ext().execute_with(|| {
		for _ in 0..AVERAGE_WINDOW {
			assert_ok!(Pallet::<Test>::set_price(RuntimeOrigin::signed(ORACLE), 100));
		}
		// The genesis 50 has left the window.
		assert_eq!(PriceHistory::<Test>::get().len() as u32, AVERAGE_WINDOW);
		assert_eq!(AverageTftPrice::<Test>::get(), 100);
		for _ in 0..AVERAGE_WINDOW / 2 {
			assert_ok!(Pallet::<Test>::set_price(RuntimeOrigin::signed(ORACLE), 200));
		}
		assert_eq!(AverageTftPrice::<Test>::get(), 150);
		assert_eq!(PriceHistory::<Test>::get().len() as u32, AVERAGE_WINDOW);
	});
}

#[test]
fn only_an_oracle_sets_the_price() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Pallet::<Test>::set_price(RuntimeOrigin::signed(STRANGER), 70),
			Error::<Test>::NotAnOracle
		);
		assert_noop!(
			Pallet::<Test>::set_price(RuntimeOrigin::root(), 70),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn a_zero_price_is_refused() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Pallet::<Test>::set_price(RuntimeOrigin::signed(ORACLE), 0),
			Error::<Test>::PriceIsZero
		);
	});
}

#[test]
fn restricted_origin_sets_bounds_with_min_below_max() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Pallet::<Test>::set_min_price(RuntimeOrigin::signed(ORACLE), 20),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Pallet::<Test>::set_max_price(RuntimeOrigin::signed(ORACLE), 20),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Pallet::<Test>::set_min_price(RuntimeOrigin::root(), 1000),
			Error::<Test>::MinPriceNotBelowMax
		);
		assert_noop!(
			Pallet::<Test>::set_max_price(RuntimeOrigin::root(), 10),
			Error::<Test>::MaxPriceNotAboveMin
		);
		assert_noop!(
			Pallet::<Test>::set_min_price(RuntimeOrigin::root(), 0),
			Error::<Test>::PriceIsZero
		);
		assert_ok!(Pallet::<Test>::set_min_price(RuntimeOrigin::root(), 20));
		assert_ok!(Pallet::<Test>::set_max_price(RuntimeOrigin::root(), 500));
		assert_eq!((MinTftPrice::<Test>::get(), MaxTftPrice::<Test>::get()), (20, 500));
		System::assert_last_event(Event::MaxPriceSet { price_musd: 500 }.into());
	});
}

#[test]
fn billing_uses_the_average_clamped_to_the_bounds() {
	new_test_ext().execute_with(|| {
		assert_eq!(<Pallet<Test> as TftPriceProvider>::billing_price_musd(), 50);
		assert_ok!(Pallet::<Test>::set_min_price(RuntimeOrigin::root(), 80));
		assert_eq!(<Pallet<Test> as TftPriceProvider>::billing_price_musd(), 80);
		assert_ok!(Pallet::<Test>::set_min_price(RuntimeOrigin::root(), 10));
		assert_ok!(Pallet::<Test>::set_max_price(RuntimeOrigin::root(), 30));
		assert_eq!(<Pallet<Test> as TftPriceProvider>::billing_price_musd(), 30);
	});
}

#[test]
fn restricted_origin_manages_oracles() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Pallet::<Test>::add_price_oracle(RuntimeOrigin::signed(ORACLE), STRANGER),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Pallet::<Test>::add_price_oracle(RuntimeOrigin::root(), ORACLE),
			Error::<Test>::AlreadyAnOracle
		);
		assert_ok!(Pallet::<Test>::add_price_oracle(RuntimeOrigin::root(), STRANGER));
		assert_ok!(Pallet::<Test>::set_price(RuntimeOrigin::signed(STRANGER), 60));
		assert_ok!(Pallet::<Test>::add_price_oracle(RuntimeOrigin::root(), 3));
		assert_noop!(
			Pallet::<Test>::add_price_oracle(RuntimeOrigin::root(), 4),
			Error::<Test>::TooManyOracles
		);
		assert_ok!(Pallet::<Test>::remove_price_oracle(RuntimeOrigin::root(), STRANGER));
		assert_noop!(
			Pallet::<Test>::set_price(RuntimeOrigin::signed(STRANGER), 60),
			Error::<Test>::NotAnOracle
		);
		assert_noop!(
			Pallet::<Test>::remove_price_oracle(RuntimeOrigin::root(), STRANGER),
			Error::<Test>::NotAnOracle
		);
	});
}

#[test]
fn the_invariants_hold_around_the_ring_and_catch_a_stale_average() {
	new_test_ext().execute_with(|| {
		assert_ok!(Pallet::<Test>::do_try_state());
		for i in 0..(AVERAGE_WINDOW + 10) {
			assert_ok!(Pallet::<Test>::set_price(RuntimeOrigin::signed(ORACLE), 40 + i % 30));
			assert_ok!(Pallet::<Test>::do_try_state());
		}
		// The ring is full and wrapped.
		assert_eq!(PriceHistory::<Test>::get().len() as u32, AVERAGE_WINDOW);
		assert!(PriceHistoryNext::<Test>::get() > 0);
		AverageTftPrice::<Test>::mutate(|a| *a += 1);
		assert!(Pallet::<Test>::do_try_state().is_err());
	});
}

#[test]
fn the_v2_migration_stores_the_billing_price_once() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	new_test_ext().execute_with(|| {
		assert_ok!(Pallet::<Test>::set_min_price(RuntimeOrigin::root(), 60));
		// A version 1 chain: no billing price stored.
		BillingTftPrice::<Test>::kill();
		StorageVersion::new(1).put::<Pallet<Test>>();
		assert!(Pallet::<Test>::do_try_state().is_err());

		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(BillingTftPrice::<Test>::get(), 60, "the average 50 clamped to the minimum 60");
		assert_eq!(Pallet::<Test>::on_chain_storage_version(), StorageVersion::new(2));
		assert_ok!(Pallet::<Test>::do_try_state());

		// At version 2 it does nothing.
		BillingTftPrice::<Test>::put(1);
		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(BillingTftPrice::<Test>::get(), 1);
	});
}
