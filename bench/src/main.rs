#![doc = include_str!("../README.md")]

use clap::Parser;
use frame_benchmarking_cli::PalletCmd;

/// Gridchain's benchmark tool.
#[derive(Debug, Parser)]
#[command(name = "gridchain-bench", version, about)]
enum Command {
	/// Benchmark a pallet's calls and hooks in a runtime Wasm built with `runtime-benchmarks`.
	Pallet(Box<PalletCmd>),
}

fn main() -> sc_cli::Result<()> {
	match Command::parse() {
		Command::Pallet(cmd) => cmd.run_with_spec::<sp_runtime::traits::BlakeTwo256, ()>(None),
	}
}
