//! What the price calls do.

use crate::*;
use frame_support::{ensure, pallet_prelude::*};
use gridchain_primitives::tft::clamp_price;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_set_price(who: T::AccountId, price_musd: u32) -> DispatchResult {
		ensure!(PriceOracles::<T>::get().contains(&who), Error::<T>::NotAnOracle);
		ensure!(price_musd > 0, Error::<T>::PriceIsZero);
		let average = Self::store_price(price_musd);
		Self::deposit_event(Event::PriceStored { price_musd });
		Self::deposit_event(Event::AveragePriceStored { price_musd: average });
		Ok(())
	}

	/// Record `price_musd` as the last price and in the ring; returns the new average.
	pub(crate) fn store_price(price_musd: u32) -> u32 {
		let mut history = PriceHistory::<T>::get();
		if history.try_push(price_musd).is_err() {
			// The ring is full: overwrite the oldest price.
			let next = PriceHistoryNext::<T>::get() % AVERAGE_WINDOW;
			if let Some(slot) = history.get_mut(next as usize) {
				*slot = price_musd;
			}
			PriceHistoryNext::<T>::put((next + 1) % AVERAGE_WINDOW);
		}
		let average = Self::average_of(&history);
		PriceHistory::<T>::put(history);
		TftPrice::<T>::put(price_musd);
		AverageTftPrice::<T>::put(average);
		Self::refresh_billing_price();
		average
	}

	/// The average clamped to [min, max].
	pub(crate) fn clamped_average() -> u32 {
		clamp_price(AverageTftPrice::<T>::get(), MinTftPrice::<T>::get(), MaxTftPrice::<T>::get())
	}

	/// Store the price billing converts with, after the average or a bound changed.
	pub(crate) fn refresh_billing_price() {
		BillingTftPrice::<T>::put(Self::clamped_average());
	}

	/// The mean of `prices`, rounded to the nearest mUSD; 0 when empty.
	fn average_of(prices: &[u32]) -> u32 {
		let count = prices.len() as u64;
		if count == 0 {
			return 0;
		}
		let sum: u64 = prices.iter().map(|p| *p as u64).sum();
		((sum + count / 2) / count) as u32
	}

	/// The pallet's invariants, checked by `try_state` and after the tests: min below max, the
	/// average is the history's, the ring's write position is inside a full ring, and the last
	/// price is in the history, and billing's price is the clamped average.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(
			MinTftPrice::<T>::get() < MaxTftPrice::<T>::get(),
			"MinTftPrice is not below MaxTftPrice"
		);
		let history = PriceHistory::<T>::get();
		ensure!(
			AverageTftPrice::<T>::get() == Self::average_of(&history),
			"AverageTftPrice is not the average of PriceHistory"
		);
		let next = PriceHistoryNext::<T>::get();
		let full = history.len() as u32 == AVERAGE_WINDOW;
		ensure!(
			next == 0 || (full && next < AVERAGE_WINDOW),
			"PriceHistoryNext is out of the ring"
		);
		ensure!(
			history.is_empty() || history.contains(&TftPrice::<T>::get()),
			"TftPrice is not in PriceHistory"
		);
		ensure!(
			BillingTftPrice::<T>::get() == Self::clamped_average(),
			"BillingTftPrice is not the average clamped to [min, max]"
		);
		Ok(())
	}

	pub(crate) fn do_set_min_price(price_musd: u32) -> DispatchResult {
		ensure!(price_musd > 0, Error::<T>::PriceIsZero);
		ensure!(price_musd < MaxTftPrice::<T>::get(), Error::<T>::MinPriceNotBelowMax);
		MinTftPrice::<T>::put(price_musd);
		Self::refresh_billing_price();
		Self::deposit_event(Event::MinPriceSet { price_musd });
		Ok(())
	}

	pub(crate) fn do_set_max_price(price_musd: u32) -> DispatchResult {
		ensure!(price_musd > MinTftPrice::<T>::get(), Error::<T>::MaxPriceNotAboveMin);
		MaxTftPrice::<T>::put(price_musd);
		Self::refresh_billing_price();
		Self::deposit_event(Event::MaxPriceSet { price_musd });
		Ok(())
	}

	pub(crate) fn do_add_oracle(account: T::AccountId) -> DispatchResult {
		PriceOracles::<T>::try_mutate(|oracles| -> DispatchResult {
			ensure!(!oracles.contains(&account), Error::<T>::AlreadyAnOracle);
			oracles.try_push(account.clone()).map_err(|_| Error::<T>::TooManyOracles)?;
			Ok(())
		})?;
		Self::deposit_event(Event::OracleAdded { account });
		Ok(())
	}

	pub(crate) fn do_remove_oracle(account: T::AccountId) -> DispatchResult {
		PriceOracles::<T>::try_mutate(|oracles| -> DispatchResult {
			let index =
				oracles.iter().position(|a| a == &account).ok_or(Error::<T>::NotAnOracle)?;
			oracles.remove(index);
			Ok(())
		})?;
		Self::deposit_event(Event::OracleRemoved { account });
		Ok(())
	}
}

impl<T: Config> TftPriceProvider for Pallet<T> {
	fn billing_price_musd() -> u32 {
		BillingTftPrice::<T>::get()
	}
}
