//! Weights for `pallet_smart_contract`.
//!
//! PLACEHOLDER until the benchmark CLI generates this file (`scripts/benchmarks.sh`).
#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_smart_contract`.
pub trait WeightInfo {
	fn create_node_contract(i: u32) -> Weight;
	fn update_node_contract() -> Weight;
	fn cancel_contract() -> Weight;
	fn create_name_contract() -> Weight;
	fn create_rent_contract() -> Weight;
	fn confirm_deployment() -> Weight;
	fn cancel_contract_collective() -> Weight;
	fn report_consumption(n: u32) -> Weight;
	fn settle_contract() -> Weight;
	fn set_billing_frequency() -> Weight;
	fn set_grace_period() -> Weight;
	fn settle_contract_in_hook() -> Weight;
	fn distribute_payments() -> Weight;
}

impl WeightInfo for () {
	fn create_node_contract(i: u32) -> Weight {
		RocksDbWeight::get()
			.reads_writes(8, 8)
			.saturating_add(Weight::from_parts(50_000_000 + 100_000 * i as u64, 20_000))
	}
	fn update_node_contract() -> Weight {
		RocksDbWeight::get()
			.reads_writes(5, 5)
			.saturating_add(Weight::from_parts(30_000_000, 10_000))
	}
	fn cancel_contract() -> Weight {
		RocksDbWeight::get()
			.reads_writes(8, 8)
			.saturating_add(Weight::from_parts(50_000_000, 20_000))
	}
	fn create_name_contract() -> Weight {
		RocksDbWeight::get().reads_writes(4, 6)
	}
	fn create_rent_contract() -> Weight {
		RocksDbWeight::get().reads_writes(6, 6)
	}
	fn confirm_deployment() -> Weight {
		RocksDbWeight::get().reads_writes(4, 1)
	}
	fn cancel_contract_collective() -> Weight {
		RocksDbWeight::get()
			.reads_writes(8, 8)
			.saturating_add(Weight::from_parts(50_000_000, 20_000))
	}
	fn report_consumption(n: u32) -> Weight {
		RocksDbWeight::get()
			.reads_writes(6, 0)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1).saturating_mul(n as u64))
			.saturating_add(Weight::from_parts(20_000_000 * n as u64, 500 * n as u64))
	}
	fn settle_contract() -> Weight {
		RocksDbWeight::get()
			.reads_writes(8, 6)
			.saturating_add(Weight::from_parts(60_000_000, 10_000))
	}
	fn set_billing_frequency() -> Weight {
		RocksDbWeight::get().writes(1)
	}
	fn set_grace_period() -> Weight {
		RocksDbWeight::get().writes(1)
	}
	fn settle_contract_in_hook() -> Weight {
		RocksDbWeight::get()
			.reads_writes(2, 2)
			.saturating_add(Weight::from_parts(40_000_000, 2_000))
	}
	fn distribute_payments() -> Weight {
		RocksDbWeight::get()
			.reads_writes(6, 4)
			.saturating_add(Weight::from_parts(60_000_000, 10_000))
	}
}
