//! Weights for `pallet_registry`.
//!
//! PLACEHOLDER until the benchmark CLI generates this file (`scripts/benchmarks.sh`).
#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_registry`.
pub trait WeightInfo {
	fn create_twin() -> Weight;
	fn update_twin() -> Weight;
	fn create_farm() -> Weight;
	fn add_farm_ip() -> Weight;
	fn remove_farm_ip() -> Weight;
	fn create_node() -> Weight;
	fn update_node() -> Weight;
	fn delete_node() -> Weight;
	fn set_node_certification() -> Weight;
	fn set_farm_dedicated() -> Weight;
	fn create_pricing_policy() -> Weight;
	fn update_pricing_policy() -> Weight;
}

impl WeightInfo for () {
	fn create_twin() -> Weight {
		RocksDbWeight::get().reads_writes(2, 3)
	}
	fn update_twin() -> Weight {
		RocksDbWeight::get().reads_writes(2, 1)
	}
	fn create_farm() -> Weight {
		RocksDbWeight::get().reads_writes(3, 3)
	}
	fn add_farm_ip() -> Weight {
		RocksDbWeight::get().reads_writes(2, 1)
	}
	fn remove_farm_ip() -> Weight {
		RocksDbWeight::get().reads_writes(2, 1)
	}
	fn create_node() -> Weight {
		RocksDbWeight::get().reads_writes(4, 4)
	}
	fn update_node() -> Weight {
		RocksDbWeight::get().reads_writes(2, 1)
	}
	fn delete_node() -> Weight {
		RocksDbWeight::get().reads_writes(3, 3)
	}
	fn set_node_certification() -> Weight {
		RocksDbWeight::get().reads_writes(1, 1)
	}
	fn set_farm_dedicated() -> Weight {
		RocksDbWeight::get().reads_writes(1, 1)
	}
	fn create_pricing_policy() -> Weight {
		RocksDbWeight::get().reads_writes(1, 2)
	}
	fn update_pricing_policy() -> Weight {
		RocksDbWeight::get().reads_writes(1, 1)
	}
}
