//! How an agent starts: the node registered (or updated) on chain, its state opened, what it ran
//! before taken over, and its loops started — the chain watch, the reports, the supervision.

use crate::{
	agent::{now_secs, Agent, Shared},
	capacity, chain_watch,
	config::Config,
	guard,
	provision::Provisioner,
	report, state,
};
use gridchain_sdk::{Client, Identity, Location};
use std::{sync::Arc, time::Duration};

impl Agent {
	/// Connect to the chain, register the node (or update its twin and capacity), and open the
	/// state in the data dir.
	pub async fn start(
		config: Config,
		identity: Identity,
		provisioner: Box<dyn Provisioner>,
	) -> anyhow::Result<Shared> {
		let client = Client::connect(&config.url).await?;
		let (twin_id, node_id, total) = register(&client, &identity, &config).await?;
		let state = state::State::open(&config.data_dir)?;
		let limits = &config.limits;
		Ok(Arc::new(Agent {
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
			replays: guard::Replays::new(now_secs()),
			confirming: Default::default(),
		}))
	}

	/// Contracts that ended while the agent was away go first; then what remains is taken over
	/// from the provisioner.
	pub async fn take_over(self: &Shared) -> anyhow::Result<()> {
		chain_watch::reconcile(self).await?;
		self.cleanup().await?;
		for (contract_id, mut record) in self.state.all()? {
			tokio::task::block_in_place(|| self.provisioner.restore(contract_id, &mut record));
			self.state.put(contract_id, &record)?;
		}
		Ok(())
	}

	/// The chain watch, the reports, and every 2 s the supervision of the workloads (every
	/// minute also the removal of what a failed removal left behind), each in its own task.
	pub fn spawn_loops(self: &Shared) {
		tokio::spawn(chain_watch::run(self.clone()));
		tokio::spawn(report::run(self.clone()));
		let supervisor = self.clone();
		tokio::spawn(async move {
			for round in 1u64.. {
				tokio::time::sleep(Duration::from_secs(2)).await;
				if let Err(e) = supervisor.supervise().await {
					tracing::warn!("supervising workloads: {e:#}");
				}
				if round % 30 == 0 {
					if let Err(e) = supervisor.cleanup().await {
						tracing::warn!("cleaning up: {e:#}");
					}
				}
			}
		});
	}
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
