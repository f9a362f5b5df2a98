//! The pallets whose weights the benchmark CLI measures.

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_registry, Registry]
	[pallet_tft_price, TftPrice]
	[pallet_smart_contract, SmartContract]
);

impl frame_system_benchmarking::Config for crate::Runtime {}
