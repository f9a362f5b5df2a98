//! Command-line interface.

/// How a development chain makes blocks.
#[derive(Debug, Copy, Clone, PartialEq, Eq, clap::ValueEnum)]
pub enum Sealing {
	/// Blocks are made on demand with the `engine_createBlock` RPC. Each one advances chain time
	/// by exactly one 6 s slot.
	Manual,
	/// A block is made for every transaction, and finalized at once.
	Instant,
}

/// The node's command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A subcommand instead of running the node.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Options of a running node.
	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// Development chains only: make blocks on demand (`manual`) or per transaction (`instant`)
	/// instead of by Aura slots with GRANDPA finality. The transaction pool is then the
	/// single-state one (`--pool-type` is not used).
	#[arg(long, value_enum)]
	pub sealing: Option<Sealing>,

	/// Keep the native code wasmtime compiles from each runtime in DIR, and run it from there
	/// when a runtime with the same code starts again, in this node or another one given DIR,
	/// instead of compiling it again. DIR holds code the node runs: no one but the node's own
	/// user may be able to write to it. The test command gives its nodes one under the target dir.
	#[arg(long, env = "GRIDCHAIN_WASMTIME_CACHE", value_name = "DIR")]
	pub wasmtime_cache: Option<std::path::PathBuf>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management tools.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification.
	#[deprecated(
		note = "build-spec will be removed after 1/06/2025. Use export-chain-spec instead"
	)]
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Db meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),
}
