#![doc = include_str!("../README.md")]

mod agent;
mod api;
mod capacity;
mod chain_watch;
mod checks;
mod config;
mod guard;
mod metrics;
mod provision;
mod refusal;
mod report;
mod serve;
mod startup;
mod state;

use agent::Agent;
use anyhow::Context;
use clap::{Parser, Subcommand};
use config::{Config, ProvisionerKind};
use gridchain_sdk::Identity;
use std::path::PathBuf;

/// The Gridchain node agent: it registers the node, receives signed deployments, checks their
/// hash and signatures, provisions them, confirms them on chain and reports what they consume.
#[derive(Debug, Parser)]
#[command(name = "grid-agent", version)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
	/// Write a commented configuration file.
	Init {
		/// Where to write it.
		#[arg(long, default_value = "grid-agent.toml")]
		config: PathBuf,
		/// The data dir it names.
		#[arg(long, default_value = "/var/lib/grid-agent")]
		data_dir: PathBuf,
	},
	/// Run the agent.
	Run {
		#[arg(long, default_value = "grid-agent.toml")]
		config: PathBuf,
	},
}

fn main() {
	// Before any thread starts: the key leaves the environment, so nothing the agent runs
	// inherits it.
	let key = config::take_key_variable();
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.with_writer(std::io::stderr)
		// Colours only on a terminal: logs in a file or the journal stay plain text.
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.init();
	let result = match Cli::parse().command {
		Command::Init { config, data_dir } => init(&config, &data_dir),
		Command::Run { config } => tokio::runtime::Builder::new_multi_thread()
			.enable_all()
			.build()
			.context("cannot start the async runtime")
			.and_then(|runtime| runtime.block_on(run(&config, key))),
	};
	if let Err(e) = result {
		eprintln!("error: {e:#}");
		std::process::exit(2);
	}
}

/// Write the configuration, readable by its owner alone: it will hold the node's key.
fn init(path: &std::path::Path, data_dir: &std::path::Path) -> anyhow::Result<()> {
	use std::{io::Write, os::unix::fs::OpenOptionsExt};
	let mut file =
		std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(
			|e| match e.kind() {
				std::io::ErrorKind::AlreadyExists => {
					anyhow::anyhow!("{} exists; not overwriting it", path.display())
				}
				_ => anyhow::anyhow!("cannot write {}: {e}", path.display()),
			},
		)?;
	file.write_all(config::template(data_dir).as_bytes())
		.with_context(|| format!("cannot write {}", path.display()))?;
	println!("Wrote {} (mode 0600): set `key` (or `key_file`), `farm_id` and `public_url`, then run `grid-agent run --config {}`", path.display(), path.display());
	Ok(())
}

async fn run(path: &std::path::Path, key: Option<String>) -> anyhow::Result<()> {
	let config = Config::load(path, key)?;
	std::fs::create_dir_all(&config.data_dir)
		.with_context(|| format!("cannot create {}", config.data_dir.display()))?;
	let identity = Identity::from_uri(&config.key).context("key")?;
	// Checked before anything is registered: never run tenants' code unisolated.
	let provisioner: Box<dyn provision::Provisioner> = match config.provisioner {
		ProvisionerKind::Container => {
			Box::new(provision::ContainerProvisioner::new(&config.data_dir, &config.container)?)
		}
		ProvisionerKind::Sim => Box::new(provision::SimProvisioner),
	};
	let agent = Agent::start(config, identity, provisioner).await?;
	let listener = tokio::net::TcpListener::bind(&agent.config.listen)
		.await
		.with_context(|| format!("cannot listen on {}", agent.config.listen))?;
	agent.take_over().await?;
	agent.spawn_loops();
	tracing::info!(
		node_id = agent.node_id,
		twin_id = agent.twin_id,
		listen = %agent.config.listen,
		"grid-agent ready"
	);
	let limits = agent.config.limits.clone();
	serve::serve(listener, api::router(agent), &limits, async {
		let _ = tokio::signal::ctrl_c().await;
	})
	.await;
	Ok(())
}
