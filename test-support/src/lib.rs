#![doc = include_str!("../README.md")]

mod chain;
pub mod indexer;
mod node;
mod sealer;

pub use chain::*;
pub use node::{free_port, start_node, start_node_on, NodeProcess};
pub use sealer::Sealer;

use std::path::PathBuf;

/// A binary of the workspace, beside the running test's own in the target dir
/// (`target/debug/NAME` for tests, `target/release/NAME` for benchmarks).
pub fn target_bin(name: &str) -> PathBuf {
	let exe = std::env::current_exe().expect("test binary path");
	let dir = exe.parent().and_then(|deps| deps.parent()).expect("target dir");
	let bin = dir.join(name);
	assert!(bin.exists(), "{} is missing: build it with `cargo build --workspace`", bin.display());
	bin
}

/// The `gridchain-node` binary: `GRIDCHAIN_NODE`, else the workspace's.
pub fn node_binary() -> PathBuf {
	match std::env::var_os("GRIDCHAIN_NODE") {
		Some(path) => PathBuf::from(path),
		None => target_bin("gridchain-node"),
	}
}

/// A number from the environment, else `default` (the benchmarks' load knobs).
pub fn env_num(name: &str, default: u32) -> u32 {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
