//! The agent: its identity on chain, its state and provisioner, and what it does to deployments.

use crate::{
	capacity,
	config::Config,
	metrics::Metrics,
	provision::Provisioner,
	state::{Record, State},
};
use gridchain_sdk::{agent::WorkloadState, Client, Identity, Resources};
use std::sync::Arc;

pub struct Agent {
	pub config: Config,
	pub client: Client,
	pub identity: Identity,
	pub twin_id: u32,
	pub node_id: u32,
	/// The node's capacity as registered.
	pub total: Resources,
	pub state: State,
	pub provisioner: Box<dyn Provisioner>,
	pub metrics: Metrics,
	/// One change to deployments at a time.
	pub changes: tokio::sync::Mutex<()>,
}

pub type Shared = Arc<Agent>;

pub use gridchain_sdk::agent::now_secs;

impl Agent {
	/// What the deployments held use, except `except`'s.
	pub fn reserved(&self, except: Option<u64>) -> anyhow::Result<Resources> {
		let mut used = Resources::default();
		for (id, record) in self.state.all()? {
			if Some(id) != except {
				used = capacity::add(used, record.deployment.capacity().into());
			}
		}
		Ok(used)
	}

	/// Provision `record` for `contract_id`, store it, and confirm on chain once every workload is
	/// `ok`.
	pub async fn provision_and_confirm(
		&self,
		contract_id: u64,
		mut record: Record,
	) -> anyhow::Result<Record> {
		let started = std::time::Instant::now();
		tokio::task::block_in_place(|| self.provisioner.provision(contract_id, &mut record));
		tracing::info!(
			contract_id,
			elapsed_ms = started.elapsed().as_millis() as u64,
			ok = record.all_ok(),
			"provisioned"
		);
		self.state.put(contract_id, &record)?;
		if !record.all_ok() {
			tracing::warn!(
				contract_id,
				"not every workload is ok; the deployment is not confirmed"
			);
			return Ok(record);
		}
		if let Err(e) = self.confirm(contract_id, &mut record).await {
			// Retried by `confirm_pending` on the next report interval.
			tracing::warn!(contract_id, "confirming on chain failed: {e:#}");
		}
		Ok(record)
	}

	/// Confirm `record` on chain and remember it.
	async fn confirm(&self, contract_id: u64, record: &mut Record) -> anyhow::Result<()> {
		let hash = record.deployment.hash()?;
		self.client.confirm_deployment(self.identity.keypair(), contract_id, hash.0).await?;
		record.confirmed = true;
		record.ever_confirmed = true;
		self.state.put(contract_id, record)?;
		tracing::info!(contract_id, hash = %hash, "deployed and confirmed on chain");
		Ok(())
	}

	/// Confirm the deployments that run but whose confirmation did not reach the chain.
	pub async fn confirm_pending(&self) -> anyhow::Result<()> {
		let _change = self.changes.lock().await;
		for (contract_id, mut record) in self.state.all()? {
			if record.confirmed || !record.all_ok() {
				continue;
			}
			let contract = self.client.contract(contract_id).await?;
			let hash = format!("0x{}", hex::encode(record.deployment.hash()?.0));
			let gridchain_sdk::ContractKind::Node { deployment_hash, capacity, .. } =
				&contract.kind
			else {
				continue;
			};
			if *deployment_hash != hash
				|| *capacity != Resources::from(record.deployment.capacity())
			{
				// The owner updated the contract and has not sent the new document yet.
				continue;
			}
			match contract.state {
				gridchain_sdk::ContractState::Created => {
					self.confirm(contract_id, &mut record).await?
				}
				gridchain_sdk::ContractState::Deployed => {
					record.confirmed = true;
					record.ever_confirmed = true;
					self.state.put(contract_id, &record)?;
				}
				// In grace it may or may not have been confirmed: asked again when grace ends.
				_ => {}
			}
		}
		Ok(())
	}

	/// Remove a deployment whose contract ended.
	pub async fn deprovision(&self, contract_id: u64) -> anyhow::Result<()> {
		let _change = self.changes.lock().await;
		if let Some(record) = self.state.get(contract_id)? {
			tokio::task::block_in_place(|| self.provisioner.deprovision(contract_id, &record));
			self.state.remove(contract_id)?;
			tracing::info!(contract_id, "contract ended: deprovisioned");
		}
		Ok(())
	}

	/// Pause (grace started) or resume (grace ended) a deployment.
	pub async fn set_paused(&self, contract_id: u64, paused: bool) -> anyhow::Result<()> {
		let _change = self.changes.lock().await;
		let Some(mut record) = self.state.get(contract_id)? else { return Ok(()) };
		if record.paused == paused {
			return Ok(());
		}
		tokio::task::block_in_place(|| {
			if paused {
				self.provisioner.pause(contract_id, &mut record)
			} else {
				self.provisioner.resume(contract_id, &mut record)
			}
		});
		record.paused = paused;
		self.state.put(contract_id, &record)?;
		tracing::info!(
			contract_id,
			paused,
			"grace period {}",
			if paused { "started: paused" } else { "ended: resumed" }
		);
		Ok(())
	}

	/// Restart dead processes of every deployment.
	pub async fn supervise(&self) -> anyhow::Result<()> {
		let _change = self.changes.lock().await;
		for (id, mut record) in self.state.all()? {
			if tokio::task::block_in_place(|| self.provisioner.supervise(id, &mut record)) {
				self.state.put(id, &record)?;
			}
		}
		Ok(())
	}

	/// Remove what runs for contracts the agent does not hold (a crash half-way through a
	/// removal); under the change lock, so never a deployment being provisioned.
	pub async fn cleanup(&self) -> anyhow::Result<()> {
		let _change = self.changes.lock().await;
		let live: Vec<u64> = self.state.all()?.into_iter().map(|(id, _)| id).collect();
		tokio::task::block_in_place(|| self.provisioner.cleanup(&live));
		Ok(())
	}

	/// Deployments per workload state, for metrics.
	pub fn counts(&self) -> Vec<(&'static str, u64)> {
		let mut counts = [("ok", 0u64), ("paused", 0), ("error", 0)];
		for (_, record) in self.state.all().unwrap_or_default() {
			let i = if record.paused {
				1
			} else if record.workloads.iter().any(|w| w.state == WorkloadState::Error) {
				2
			} else {
				0
			};
			counts[i].1 += 1;
		}
		counts.to_vec()
	}
}
