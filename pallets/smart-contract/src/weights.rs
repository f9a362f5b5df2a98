//! Weights for `pallet_smart_contract`.
//!
//! PLACEHOLDER until the benchmark CLI generates this file (`scripts/benchmarks.sh`).
#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::RocksDbWeight, Weight}};

/// Weight functions needed for `pallet_smart_contract`.
pub trait WeightInfo {
	fn create_node_contract() -> Weight;
	fn update_node_contract() -> Weight;
	fn cancel_contract() -> Weight;
	fn create_name_contract() -> Weight;
	fn create_rent_contract() -> Weight;
	fn confirm_deployment() -> Weight;
	fn cancel_contract_collective() -> Weight;
}

impl WeightInfo for () {
	fn create_node_contract() -> Weight { RocksDbWeight::get().reads_writes(8, 8).saturating_add(Weight::from_parts(50_000_000, 20_000)) }
	fn update_node_contract() -> Weight { RocksDbWeight::get().reads_writes(5, 5).saturating_add(Weight::from_parts(30_000_000, 10_000)) }
	fn cancel_contract() -> Weight { RocksDbWeight::get().reads_writes(8, 8).saturating_add(Weight::from_parts(50_000_000, 20_000)) }
	fn create_name_contract() -> Weight { RocksDbWeight::get().reads_writes(4, 6) }
	fn create_rent_contract() -> Weight { RocksDbWeight::get().reads_writes(6, 6) }
	fn confirm_deployment() -> Weight { RocksDbWeight::get().reads_writes(4, 1) }
	fn cancel_contract_collective() -> Weight { RocksDbWeight::get().reads_writes(8, 8).saturating_add(Weight::from_parts(50_000_000, 20_000)) }
}
