//! The command line, as clap reads it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Rent IT capacity on Gridchain: keys, twins, farms, nodes, deployments and their contracts.
#[derive(Debug, Parser)]
#[command(name = "grid", version, propagate_version = true, max_term_width = 100)]
#[command(
	after_help = "Exit codes: 0 done, 1 the chain refused (or could not be reached), 2 bad usage or bad input."
)]
pub struct Cli {
	#[command(flatten)]
	pub global: Global,
	#[command(subcommand)]
	pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
	/// The node to talk to.
	#[arg(long, global = true, env = "GRID_URL", default_value = "ws://127.0.0.1:9944")]
	pub url: String,
	/// A grid-indexer's GraphQL URL for `contract bills` and `node find` (else `indexer = "…"` in
	/// $XDG_CONFIG_HOME/grid/config.toml); without one they read the chain.
	#[arg(long, global = true, env = "GRID_INDEXER", value_name = "URL")]
	pub indexer: Option<String>,
	/// Secret URI to act with (`//Alice`, a phrase, `PHRASE//path`) instead of the saved key or
	/// GRID_MNEMONIC. Other users see it in `ps`: a secret one is better in --key-file.
	#[arg(long, global = true, value_name = "SURI")]
	pub key: Option<String>,
	/// A file holding the secret URI to act with, instead of the saved key or GRID_MNEMONIC.
	#[arg(long, global = true, value_name = "FILE", conflicts_with = "key")]
	pub key_file: Option<PathBuf>,
	/// Print JSON instead of tables and sentences.
	#[arg(long, global = true)]
	pub json: bool,
	/// Return once the transaction is in a block instead of waiting for finality.
	#[arg(long, global = true)]
	pub no_wait_finality: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
	/// Create, import and show your key and its age identity.
	#[command(subcommand)]
	Key(KeyCommand),
	/// Your twin: your identity on the grid.
	#[command(subcommand)]
	Twin(TwinCommand),
	/// Farms and their public IPs.
	#[command(subcommand)]
	Farm(FarmCommand),
	/// Register, update and find nodes.
	#[command(subcommand)]
	Node(NodeCommand),
	/// Write, hash, sign and verify deployment documents; a deployment's state on its node.
	#[command(subcommand)]
	Deployment(DeploymentCommand),
	/// Node contracts: quote, create, deploy, update, show, list, cancel, bills.
	#[command(subcommand)]
	Contract(ContractCommand),
	/// Reserve a unique name on the grid.
	#[command(subcommand)]
	Name(NameCommand),
	/// Rent a whole node.
	Rent {
		/// The node to rent.
		node: u32,
	},
	/// Show an account's TFT balance (yours by default).
	Balance {
		/// SS58 address or 0x account id.
		account: Option<String>,
	},
	/// Send TFT.
	Transfer {
		/// SS58 address or 0x account id.
		to: String,
		/// Amount in TFT, up to 7 decimals (`12.5`).
		amount: String,
	},
	/// Act as a member of a k-of-n multisig account.
	#[command(subcommand)]
	Multisig(MultisigCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
	/// Generate a new key and save it (prints the phrase once: write it down).
	New {
		/// Replace a saved key.
		#[arg(long)]
		force: bool,
	},
	/// Save a secret phrase or URI read from standard input.
	Import {
		/// Replace a saved key.
		#[arg(long)]
		force: bool,
	},
	/// Show the address, account id and encryption key of your key.
	Show,
	/// Print your age identity (AGE-SECRET-KEY-1…): the standard `age` tool decrypts your
	/// deployments with it.
	AgeIdentity,
}

#[derive(Debug, Subcommand)]
pub enum TwinCommand {
	/// Create your twin, with your key's X25519 public key for encryption.
	Create {
		/// Where messages for the twin go (a node agent's URL).
		#[arg(long)]
		relay: Option<String>,
		/// Register this X25519 key (64 hex digits) instead of your own, e.g. a member's for a
		/// multisig twin.
		#[arg(long, value_name = "HEX")]
		pk: Option<String>,
	},
	/// Update your twin's relay and encryption key.
	Update {
		#[arg(long)]
		relay: Option<String>,
		#[arg(long, value_name = "HEX")]
		pk: Option<String>,
	},
	/// Show a twin (yours by default).
	Show {
		/// Twin id.
		id: Option<u32>,
	},
}

#[derive(Debug, Subcommand)]
pub enum FarmCommand {
	/// Create a farm owned by your twin.
	Create {
		/// 3..=40 of [A-Za-z0-9_-], unique.
		name: String,
	},
	/// Show a farm and its IPs.
	Show { id: u32 },
	/// Add a public IP to your farm.
	AddIp {
		farm: u32,
		/// CIDR, e.g. 185.206.122.33/24.
		ip: String,
		/// Gateway in the same subnet, e.g. 185.206.122.1.
		gateway: String,
	},
	/// Remove a free public IP from your farm.
	RemoveIp { farm: u32, ip: String },
	/// List a farm's public IPs.
	Ips {
		farm: u32,
		/// Only the free ones.
		#[arg(long)]
		free: bool,
	},
}

/// A node's capacity and place.
#[derive(Debug, Args, Clone)]
pub struct NodeSpec {
	/// vCPUs.
	#[arg(long)]
	pub cru: u64,
	/// Memory (bytes, or with a unit: 32G, 512M).
	#[arg(long, value_parser = parse_size)]
	pub mru: u64,
	/// SSD storage.
	#[arg(long, value_parser = parse_size)]
	pub sru: u64,
	/// HDD storage.
	#[arg(long, value_parser = parse_size, default_value = "0")]
	pub hru: u64,
	/// Country code, e.g. BE.
	#[arg(long)]
	pub country: String,
	#[arg(long)]
	pub city: String,
	#[arg(long, default_value = "")]
	pub latitude: String,
	#[arg(long, default_value = "")]
	pub longitude: String,
}

#[derive(Debug, Subcommand)]
pub enum NodeCommand {
	/// Register your twin as a node of a farm.
	Create {
		#[arg(long)]
		farm: u32,
		#[command(flatten)]
		spec: NodeSpec,
	},
	/// Update your node's capacity and location.
	Update {
		id: u32,
		#[command(flatten)]
		spec: NodeSpec,
	},
	/// Delete your node (its contracts end).
	Delete { id: u32 },
	/// Show a node and what it has free.
	Show { id: u32 },
	/// Find nodes with enough free capacity.
	Find {
		#[arg(long)]
		farm: Option<u32>,
		#[arg(long)]
		country: Option<String>,
		/// Free vCPUs.
		#[arg(long, default_value = "0")]
		cru: u64,
		/// Free memory (32G, …).
		#[arg(long, value_parser = parse_size, default_value = "0")]
		mru: u64,
		/// Free SSD.
		#[arg(long, value_parser = parse_size, default_value = "0")]
		sru: u64,
		/// Free HDD.
		#[arg(long, value_parser = parse_size, default_value = "0")]
		hru: u64,
		/// Free public IPs in the node's farm.
		#[arg(long, default_value = "0")]
		ips: u32,
	},
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiskKindArg {
	Ssd,
	Hdd,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum DeploymentCommand {
	/// Write a deployment document: a VM, its disks and a public IP.
	New {
		/// Owner twin (yours by default, looked up on chain).
		#[arg(long)]
		twin: Option<u32>,
		/// The VM's workload name.
		#[arg(long, default_value = "vm")]
		name: String,
		/// Image to run.
		#[arg(long)]
		image: String,
		#[arg(long, default_value = "1")]
		cpu: u32,
		#[arg(long, value_parser = parse_size, default_value = "1G")]
		memory: u64,
		#[arg(long, value_parser = parse_size, default_value = "10G")]
		rootfs: u64,
		/// Command the VM runs.
		#[arg(long, default_value = "")]
		entrypoint: String,
		/// Environment variable NAME=VALUE (repeatable). Other users see it in `ps`: secrets
		/// belong in --env-file.
		#[arg(long = "env", value_name = "NAME=VALUE")]
		env: Vec<String>,
		/// Environment variables from a file of NAME=VALUE lines (`#` comments and blank lines
		/// skipped; repeatable; --env wins).
		#[arg(long = "env-file", value_name = "FILE")]
		env_files: Vec<PathBuf>,
		/// SSH public key (repeatable).
		#[arg(long = "ssh-key", value_name = "KEY")]
		ssh_keys: Vec<String>,
		/// A data disk of this size mounted at /data (repeatable: /data, /data1, …).
		#[arg(long = "disk", value_parser = parse_size, value_name = "SIZE")]
		disks: Vec<u64>,
		#[arg(long, value_enum, default_value = "ssd")]
		disk_kind: DiskKindArg,
		/// Give the VM a public IPv4.
		#[arg(long)]
		public_ip: bool,
		#[arg(long, default_value = "")]
		description: String,
		#[arg(long, default_value = "")]
		metadata: String,
		/// A twin that signs, as TWIN[:WEIGHT[:required]] (repeatable); the owner alone, weight 1,
		/// required, when none is given. A multisig twin names its members here.
		#[arg(long = "signer", value_name = "TWIN[:WEIGHT[:required]]")]
		signers: Vec<String>,
		/// The weight of signatures needed (1 by default).
		#[arg(long, default_value = "1")]
		weight_required: u32,
		/// Write here instead of standard output.
		#[arg(short, long)]
		output: Option<PathBuf>,
	},
	/// Print a document's deployment hash.
	Hash { file: PathBuf },
	/// Add your signature to a document (in place).
	Sign {
		file: PathBuf,
		/// Sign as this twin (yours by default, looked up on chain).
		#[arg(long)]
		twin: Option<u32>,
	},
	/// Check a document and its signatures against the accounts on chain.
	Verify { file: PathBuf },
	/// What the node reports of a deployment: each workload's state.
	Status {
		/// The contract id.
		id: u64,
	},
	/// The recent output (stdout and stderr) of a deployment's VM workload, from its node.
	Logs {
		/// The contract id.
		id: u64,
		/// The VM workload.
		#[arg(long, value_parser = parse_workload_name)]
		workload: String,
		/// How many of the last lines, 1 to 10000.
		#[arg(long, default_value_t = gridchain_sdk::agent::DEFAULT_LOG_TAIL, value_parser = parse_tail)]
		tail: usize,
	},
}

#[derive(Debug, Subcommand)]
pub enum ContractCommand {
	/// What a deployment would cost on a node, as billing computes it: an hour and a month (720
	/// hours) of its capacity and public IPs at the current TFT price, and the discount its owner
	/// twin's balance earns. Traffic comes on top.
	Quote {
		#[arg(long)]
		node: u32,
		/// The deployment document.
		file: PathBuf,
	},
	/// Create a node contract for a deployment: hash it, encrypt it to you, reserve its IPs.
	Create {
		#[arg(long)]
		node: u32,
		/// The deployment document.
		file: PathBuf,
		/// Also encrypt to this age1… or ssh-ed25519 key (repeatable).
		#[arg(long = "recipient", value_name = "KEY")]
		recipients: Vec<String>,
	},
	/// Deploy: create the contract, send the signed document to the node's agent, and wait until
	/// the node confirms it on chain. If the node refuses, the contract is cancelled.
	Deploy {
		#[arg(long)]
		node: u32,
		/// The deployment document, signed.
		file: PathBuf,
		#[arg(long = "recipient", value_name = "KEY")]
		recipients: Vec<String>,
		/// How long to wait for the node's confirmation, in seconds.
		#[arg(long, default_value = "120")]
		timeout: u64,
	},
	/// Replace a node contract's deployment; with --deploy, also on its node. The document's
	/// version follows what the node runs (`grid deployment status ID`).
	Update {
		id: u64,
		file: PathBuf,
		#[arg(long = "recipient", value_name = "KEY")]
		recipients: Vec<String>,
		/// Ask the node's agent first (a refusal changes nothing), then send the new document to it
		/// and wait until it confirms it.
		#[arg(long)]
		deploy: bool,
		/// With --deploy: if the node refuses the new document once the chain holds it, put back
		/// what the node runs (`grid contract restore`).
		#[arg(long, requires = "deploy")]
		restore: bool,
		/// With --deploy: how long to wait for the node's confirmation, in seconds.
		#[arg(long, default_value = "120")]
		timeout: u64,
	},
	/// Put back what the node runs: after an update the node refused, its document as the next
	/// version, signed by you, on chain and on the node. If it needs co-signers, --out writes it
	/// for them to sign (`grid deployment sign`) and send (`grid contract update --deploy`).
	Restore {
		id: u64,
		/// Write the document put back to this file (mode 0600).
		#[arg(long, short = 'o')]
		out: Option<PathBuf>,
		#[arg(long = "recipient", value_name = "KEY")]
		recipients: Vec<String>,
		/// How long to wait for the node's confirmation, in seconds.
		#[arg(long, default_value = "120")]
		timeout: u64,
	},
	/// Show a contract; --decrypt rebuilds its deployment from the chain.
	Show {
		id: u64,
		/// Decrypt the deployment with your key and check its hash.
		#[arg(long)]
		decrypt: bool,
		/// Save the encrypted deployment data (age format) to this file.
		#[arg(long, value_name = "FILE")]
		data_out: Option<PathBuf>,
	},
	/// List a twin's live contracts (yours by default).
	List {
		#[arg(long)]
		twin: Option<u32>,
	},
	/// Cancel contracts.
	Cancel {
		#[arg(required = true)]
		ids: Vec<u64>,
	},
	/// A contract's bills, read from recent blocks.
	Bills {
		id: u64,
		/// How many blocks back to read.
		#[arg(long, default_value = "600")]
		blocks: u64,
	},
}

#[derive(Debug, Subcommand)]
pub enum NameCommand {
	/// Reserve a name ([a-z0-9_-], 3..=64).
	Reserve {
		#[arg(value_parser = parse_name)]
		name: String,
	},
}

/// A grid name: 3..=64 of `a-z 0-9 _ -`, as the chain requires.
fn parse_name(text: &str) -> Result<String, String> {
	let ok = (3..=64).contains(&text.len())
		&& text
			.bytes()
			.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
	if ok {
		Ok(text.to_string())
	} else {
		Err(format!("`{text}` is not a name: 3 to 64 of a-z, 0-9, _ and -"))
	}
}

/// Which multisig account.
#[derive(Debug, Args, Clone)]
pub struct MultisigSpec {
	/// Approvals needed.
	#[arg(long, short)]
	pub threshold: u16,
	/// Every member's SS58 address (repeatable or comma-separated).
	#[arg(long = "signatory", short, value_delimiter = ',', required = true)]
	pub signatories: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum MultisigCommand {
	/// Print a multisig's address.
	Address {
		#[command(flatten)]
		spec: MultisigSpec,
	},
	/// Propose a grid command as the multisig: your approval is the first. Prints the call to
	/// pass to the other members. Example: grid multisig propose -t 2 -s A,B,C -- twin create
	Propose {
		#[command(flatten)]
		spec: MultisigSpec,
		/// The grid command to run as the multisig.
		#[arg(last = true, required = true, value_name = "COMMAND")]
		command: Vec<String>,
	},
	/// Approve a proposed call; the approval that reaches the threshold runs it.
	Approve {
		#[command(flatten)]
		spec: MultisigSpec,
		/// The call as `propose` printed it (0x…).
		#[arg(long)]
		call: String,
	},
	/// Withdraw a call you proposed; its deposit is released.
	Cancel {
		#[command(flatten)]
		spec: MultisigSpec,
		/// The call hash `propose` and `pending` print (0x…).
		#[arg(long)]
		call_hash: String,
	},
	/// List the multisig's calls waiting for approvals.
	Pending {
		#[command(flatten)]
		spec: MultisigSpec,
	},
}

/// A size in bytes: a number, or a number with K, M, G or T (binary units, optional `iB`/`B`).
pub fn parse_size(text: &str) -> Result<u64, String> {
	let t = text.trim();
	let t = t.strip_suffix("iB").or_else(|| t.strip_suffix('B')).unwrap_or(t);
	let (number, shift) = match t.chars().last() {
		Some('K' | 'k') => (&t[..t.len() - 1], 10),
		Some('M' | 'm') => (&t[..t.len() - 1], 20),
		Some('G' | 'g') => (&t[..t.len() - 1], 30),
		Some('T' | 't') => (&t[..t.len() - 1], 40),
		_ => (t, 0),
	};
	let value: u64 = number
		.trim()
		.parse()
		.map_err(|_| format!("`{text}` is not a size (e.g. 4G, 512M, 1073741824)"))?;
	value.checked_mul(1u64 << shift).ok_or_else(|| format!("`{text}` is too large"))
}

/// A `--workload`: a workload name (1 to 36 of `[a-z0-9_]`).
pub fn parse_workload_name(text: &str) -> Result<String, String> {
	if gridchain_sdk::deployment::is_workload_name(text) {
		Ok(text.to_string())
	} else {
		Err(format!("`{text}` is not a workload name (1 to 36 of a-z, 0-9 and _)"))
	}
}

/// A `--tail`: 1 to `MAX_LOG_TAIL` lines.
pub fn parse_tail(text: &str) -> Result<usize, String> {
	let max = gridchain_sdk::agent::MAX_LOG_TAIL;
	text.parse()
		.ok()
		.filter(|n| (1..=max).contains(n))
		.ok_or_else(|| format!("`{text}` is not a number of lines from 1 to {max}"))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn tails_are_1_to_10000_lines() {
		assert_eq!(parse_tail("1"), Ok(1));
		assert_eq!(parse_tail("10000"), Ok(10_000));
		assert!(parse_tail("0").is_err());
		assert!(parse_tail("10001").is_err());
		assert!(parse_tail("many").is_err());
	}

	#[test]
	fn sizes_take_binary_units() {
		assert_eq!(parse_size("4G"), Ok(4 << 30));
		assert_eq!(parse_size("4GiB"), Ok(4 << 30));
		assert_eq!(parse_size("512M"), Ok(512 << 20));
		assert_eq!(parse_size("1073741824"), Ok(1 << 30));
		assert!(parse_size("4X").is_err());
		assert!(parse_size("99999999999T").is_err());
	}

	#[test]
	fn the_command_line_is_consistent() {
		use clap::CommandFactory;
		Cli::command().debug_assert();
	}
}
