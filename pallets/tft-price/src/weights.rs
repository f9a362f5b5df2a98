//! Weights for `pallet_tft_price`.
//!
//! PLACEHOLDER until the benchmark CLI generates this file (`scripts/benchmarks.sh`).
#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_tft_price`.
pub trait WeightInfo {
	fn set_price() -> Weight;
	fn set_min_price() -> Weight;
	fn set_max_price() -> Weight;
	fn add_price_oracle() -> Weight;
	fn remove_price_oracle() -> Weight;
}

impl WeightInfo for () {
	fn set_price() -> Weight {
		RocksDbWeight::get().reads_writes(3, 4).saturating_add(Weight::from_parts(20_000_000, 6000))
	}
	fn set_min_price() -> Weight {
		RocksDbWeight::get().reads_writes(1, 1)
	}
	fn set_max_price() -> Weight {
		RocksDbWeight::get().reads_writes(1, 1)
	}
	fn add_price_oracle() -> Weight {
		RocksDbWeight::get().reads_writes(1, 1)
	}
	fn remove_price_oracle() -> Weight {
		RocksDbWeight::get().reads_writes(1, 1)
	}
}
