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
mod report;
mod serve;
mod state;

use agent::Agent;
use anyhow::Context;
use clap::{Parser, Subcommand};
use config::{Config, ProvisionerKind};
use gridchain_sdk::{Client, Identity, Location};
use std::{path::PathBuf, sync::Arc, time::Duration};

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

/// Register the node's twin and node on chain, or update them; returns (twin, node, capacity).
async fn register(
	client: &Client,
	identity: &Identity,
	config: &Config,
) -> anyhow::Result<(u32, u32, gridchain_sdk::Resources)> {
	let key = identity.keypair();
	let twin_id = match client.twin_id_of(&identity.account_id()).await? {
		Some(twin_id) => {
			let twin = client.twin(twin_id).await?;
			if twin.relay.as_deref() != Some(config.public_url.as_str()) {
				client
					.update_twin(key, Some(identity.x25519_public()), Some(&config.public_url))
					.await?;
				tracing::info!(twin_id, relay = %config.public_url, "twin relay updated");
			}
			twin_id
		}
		None => {
			let twin_id = client
				.create_twin(key, Some(identity.x25519_public()), Some(&config.public_url))
				.await?;
			tracing::info!(twin_id, "twin created");
			twin_id
		}
	};
	let resources = capacity::measure(&config.data_dir, &config.capacity)?;
	let location = Location {
		country: config.location.country.clone(),
		city: config.location.city.clone(),
		latitude: config.location.latitude.clone(),
		longitude: config.location.longitude.clone(),
	};
	let node_id = match client.node_id_of_twin(twin_id).await? {
		Some(node_id) => {
			let node = client.node(node_id).await?;
			if node.resources != resources || node.location != location {
				client.update_node(key, node_id, resources, &location).await?;
				tracing::info!(node_id, ?resources, "node updated");
			}
			node_id
		}
		None => {
			let node_id = client.create_node(key, config.farm_id, resources, &location).await?;
			tracing::info!(node_id, farm_id = config.farm_id, ?resources, "node registered");
			node_id
		}
	};
	Ok((twin_id, node_id, resources))
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
	let client = Client::connect(&config.url).await?;
	let (twin_id, node_id, total) = register(&client, &identity, &config).await?;
	let state = state::State::open(&config.data_dir)?;
	let listener = tokio::net::TcpListener::bind(&config.listen)
		.await
		.with_context(|| format!("cannot listen on {}", config.listen))?;
	let limits = config.limits.clone();
	let agent = Arc::new(Agent {
		rates: guard::RateLimits::new(limits.requests_per_second, limits.burst),
		config,
		client,
		identity,
		twin_id,
		node_id,
		total,
		state,
		provisioner,
		metrics: Default::default(),
		changes: tokio::sync::Mutex::new(()),
		accounts: Default::default(),
		replays: guard::Replays::new(agent::now_secs()),
		confirming: Default::default(),
	});
	// Contracts that ended while the agent was away go first; then what remains is taken over.
	chain_watch::reconcile(&agent).await?;
	agent.cleanup().await?;
	for (contract_id, mut record) in agent.state.all()? {
		tokio::task::block_in_place(|| agent.provisioner.restore(contract_id, &mut record));
		agent.state.put(contract_id, &record)?;
	}
	tokio::spawn(chain_watch::run(agent.clone()));
	tokio::spawn(report::run(agent.clone()));
	let supervisor = agent.clone();
	tokio::spawn(async move {
		for round in 1u64.. {
			tokio::time::sleep(Duration::from_secs(2)).await;
			if let Err(e) = supervisor.supervise().await {
				tracing::warn!("supervising workloads: {e:#}");
			}
			// Every minute, what a failed removal left behind is removed again.
			if round % 30 == 0 {
				if let Err(e) = supervisor.cleanup().await {
					tracing::warn!("cleaning up: {e:#}");
				}
			}
		}
	});
	tracing::info!(node_id, twin_id, listen = %agent.config.listen, "grid-agent ready");
	serve::serve(listener, api::router(agent), &limits, async {
		let _ = tokio::signal::ctrl_c().await;
	})
	.await;
	Ok(())
}
