#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod migrations;
mod price_impls;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use weights::WeightInfo;

/// How many of the latest prices the moving average covers.
pub const AVERAGE_WINDOW: u32 = 1440;

/// The TFT price other pallets bill with.
pub trait TftPriceProvider {
	/// The average price clamped to [min, max], in mUSD per TFT.
	fn billing_price_musd() -> u32;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	/// The layout of this pallet's storage. A change of layout bumps it and ships with a
	/// migration; the runtime's `try-runtime` test fails when the two disagree.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
		/// Root or 3 of 5 of the Council: sets bounds and oracles.
		type RestrictedOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Most oracle accounts at once.
		#[pallet::constant]
		type MaxOracles: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The last price set by an oracle, in mUSD per TFT.
	#[pallet::storage]
	pub type TftPrice<T> = StorageValue<_, u32, ValueQuery>;

	/// The average of the last 1,440 prices, rounded to the nearest mUSD.
	#[pallet::storage]
	pub type AverageTftPrice<T> = StorageValue<_, u32, ValueQuery>;

	/// The price billing converts with: the average clamped to [min, max], kept up to date with
	/// them so that a settlement reads one value (storage version 2).
	#[pallet::storage]
	pub type BillingTftPrice<T> = StorageValue<_, u32, ValueQuery>;

	/// Lowest price billing uses, in mUSD.
	#[pallet::storage]
	pub type MinTftPrice<T> = StorageValue<_, u32, ValueQuery>;

	/// Highest price billing uses, in mUSD.
	#[pallet::storage]
	pub type MaxTftPrice<T> = StorageValue<_, u32, ValueQuery>;

	/// The last up to 1,440 prices, a ring buffer written at `PriceHistoryNext`.
	#[pallet::storage]
	pub type PriceHistory<T> =
		StorageValue<_, BoundedVec<u32, ConstU32<AVERAGE_WINDOW>>, ValueQuery>;

	/// Where the next price goes in the full `PriceHistory` ring.
	#[pallet::storage]
	pub type PriceHistoryNext<T> = StorageValue<_, u32, ValueQuery>;

	/// Accounts allowed to call `set_price`.
	#[pallet::storage]
	pub type PriceOracles<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxOracles>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An oracle stored a new price (mUSD per TFT).
		PriceStored { price_musd: u32 },
		/// The moving average after the new price (mUSD per TFT).
		AveragePriceStored { price_musd: u32 },
		/// The lower bound changed.
		MinPriceSet { price_musd: u32 },
		/// The upper bound changed.
		MaxPriceSet { price_musd: u32 },
		/// An account may now set the price.
		OracleAdded { account: T::AccountId },
		/// An account may no longer set the price.
		OracleRemoved { account: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only an authorised oracle account may set the price.
		NotAnOracle,
		/// A price of zero would make TFT free.
		PriceIsZero,
		/// The minimum price must stay below the maximum.
		MinPriceNotBelowMax,
		/// The maximum price must stay above the minimum.
		MaxPriceNotAboveMin,
		/// The account is an oracle already.
		AlreadyAnOracle,
		/// The oracle list is full.
		TooManyOracles,
	}

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// The starting price, mUSD per TFT.
		pub price_musd: u32,
		/// The lower bound, mUSD.
		pub min_price_musd: u32,
		/// The upper bound, mUSD.
		pub max_price_musd: u32,
		/// Accounts allowed to set the price.
		pub oracles: Vec<T::AccountId>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		/// The dev chain's values: 50 mUSD within 10..=1000, no oracle.
		fn default() -> Self {
			GenesisConfig {
				price_musd: 50,
				min_price_musd: 10,
				max_price_musd: 1000,
				oracles: Vec::new(),
			}
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(self.min_price_musd < self.max_price_musd, "TftPrice: min must be below max");
			MinTftPrice::<T>::put(self.min_price_musd);
			MaxTftPrice::<T>::put(self.max_price_musd);
			let oracles: BoundedVec<_, _> =
				self.oracles.clone().try_into().expect("TftPrice: too many genesis oracles");
			PriceOracles::<T>::put(oracles);
			if self.price_musd > 0 {
				Pallet::<T>::store_price(self.price_musd);
			}
			Pallet::<T>::refresh_billing_price();
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Store a new TFT price in mUSD. Only an authorised oracle account.
		///
		/// Updates the moving average over the last 1,440 prices. Emits `PriceStored` and
		/// `AveragePriceStored`. Errors: `NotAnOracle`, `PriceIsZero`.
		#[pallet::call_index(0)]
		pub fn set_price(origin: OriginFor<T>, price_musd: u32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_price(who, price_musd)
		}

		/// Set the lowest price billing uses. Restricted origin; must stay below the maximum.
		/// Emits `MinPriceSet`.
		#[pallet::call_index(1)]
		pub fn set_min_price(origin: OriginFor<T>, price_musd: u32) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			Self::do_set_min_price(price_musd)
		}

		/// Set the highest price billing uses. Restricted origin; must stay above the minimum.
		/// Emits `MaxPriceSet`.
		#[pallet::call_index(2)]
		pub fn set_max_price(origin: OriginFor<T>, price_musd: u32) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			Self::do_set_max_price(price_musd)
		}

		/// Authorise an account to set the price. Restricted origin. Emits `OracleAdded`.
		#[pallet::call_index(3)]
		pub fn add_price_oracle(origin: OriginFor<T>, account: T::AccountId) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			Self::do_add_oracle(account)
		}

		/// Withdraw an account's authorisation. Restricted origin. Emits `OracleRemoved`.
		#[pallet::call_index(4)]
		pub fn remove_price_oracle(origin: OriginFor<T>, account: T::AccountId) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			Self::do_remove_oracle(account)
		}
	}
}
