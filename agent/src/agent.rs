//! The agent: its identity on chain, its state and provisioner, and what it does to deployments.

use crate::{
	config::Config,
	guard::{RateLimits, Replays, TwinAccounts},
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
	/// One change to deployments at a time. Never held while waiting for a block.
	pub changes: tokio::sync::Mutex<()>,
	/// Twin → account, read from the chain once.
	pub accounts: TwinAccounts,
	/// Signed requests per twin.
	pub rates: RateLimits,
	/// Request signatures seen.
	pub replays: Replays,
	/// Contracts whose confirmation is on its way to the chain.
	pub confirming: std::sync::Mutex<std::collections::BTreeSet<u64>>,
}

pub type Shared = Arc<Agent>;

pub use gridchain_sdk::agent::now_secs;

impl Agent {
	/// What the deployments held use, except `except`'s.
	pub fn reserved(&self, except: Option<u64>) -> anyhow::Result<Resources> {
		let mut used = Resources::default();
		for (id, record) in self.state.all()? {
			if Some(id) != except {
				used = used.saturating_add(&record.deployment.capacity().into());
			}
		}
		Ok(used)
	}

	/// Provision `record` for `contract_id` and store it, unconfirmed; under the change lock.
	pub fn provision(&self, contract_id: u64, mut record: Record) -> anyhow::Result<Record> {
		let started = std::time::Instant::now();
		tokio::task::block_in_place(|| self.provisioner.provision(contract_id, &mut record));
		tracing::info!(
			contract_id,
			elapsed_ms = started.elapsed().as_millis() as u64,
			ok = record.all_ok(),
			"provisioned"
		);
		self.state.put(contract_id, &record)?;
		Ok(record)
	}

	/// Confirm a provisioned `record` on chain once every workload is `ok`; without the change
	/// lock, which is not held while the confirmation waits for its block. A confirmation that
	/// fails is retried by `confirm_pending` (the record says it is not confirmed).
	pub async fn confirm_provisioned(&self, contract_id: u64, mut record: Record) -> Record {
		if !record.all_ok() {
			tracing::warn!(
				contract_id,
				"not every workload is ok; the deployment is not confirmed"
			);
			return record;
		}
		match self.confirm(contract_id, &record).await {
			Ok(()) => {
				record.confirmed = true;
				record.ever_confirmed = true;
			}
			Err(e) => tracing::warn!(contract_id, "confirming on chain failed: {e:#}"),
		}
		record
	}

	/// Confirm `record`'s version on chain, then mark it confirmed if it still runs.
	async fn confirm(&self, contract_id: u64, record: &Record) -> anyhow::Result<()> {
		let hash = record.deployment.hash()?;
		let confirming =
			|| self.confirming.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
		if !confirming().insert(contract_id) {
			anyhow::bail!("contract {contract_id} is being confirmed already");
		}
		let sent =
			self.client.confirm_deployment(self.identity.keypair(), contract_id, hash.0).await;
		confirming().remove(&contract_id);
		sent?;
		let _change = self.changes.lock().await;
		if let Some(mut now) = self.state.get(contract_id)? {
			// The chain takes reports from now on; this version is the one confirmed unless an
			// update replaced it meanwhile.
			now.ever_confirmed = true;
			now.confirmed = now.confirmed || now.deployment.hash()? == hash;
			self.state.put(contract_id, &now)?;
		}
		tracing::info!(contract_id, hash = %hash, "deployed and confirmed on chain");
		Ok(())
	}

	/// Confirm the deployments that run but whose confirmation did not reach the chain.
	pub async fn confirm_pending(&self) -> anyhow::Result<()> {
		let pending: Vec<(u64, Record)> = {
			let _change = self.changes.lock().await;
			self.state.all()?.into_iter().filter(|(_, r)| !r.confirmed && r.all_ok()).collect()
		};
		for (contract_id, record) in pending {
			if self
				.confirming
				.lock()
				.unwrap_or_else(std::sync::PoisonError::into_inner)
				.contains(&contract_id)
			{
				continue;
			}
			let contract = match self.client.contract(contract_id).await {
				Ok(contract) => contract,
				// Ended: the chain watch removes it.
				Err(gridchain_sdk::Error::NotFound { .. }) => continue,
				Err(e) => return Err(e.into()),
			};
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
				gridchain_sdk::ContractState::Created => self.confirm(contract_id, &record).await?,
				gridchain_sdk::ContractState::Deployed => {
					let _change = self.changes.lock().await;
					if let Some(mut now) = self.state.get(contract_id)? {
						if now.deployment == record.deployment {
							now.confirmed = true;
							now.ever_confirmed = true;
							self.state.put(contract_id, &now)?;
						}
					}
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
