//! The Gridchain node.
#![warn(missing_docs)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
#[cfg(target_os = "linux")]
mod rpc_nodelay;
mod service;
mod wasmtime_cache;

fn main() -> sc_cli::Result<()> {
	command::run()
}
