//! What the agent remembers across restarts, in an embedded redb database in the data dir:
//! deployments with their workload results and the last report of each contract. (Request
//! signatures seen are held in memory: `guard::Replays`.)

use anyhow::Context;
use gridchain_sdk::{agent::WorkloadResult, deployment::Deployment, ContractIp};
use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::path::Path;

const DEPLOYMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("deployments");
const LAST_REPORT: TableDefinition<u64, u64> = TableDefinition::new("last_report");
/// Where request signatures were kept before they moved to memory; removed on open.
const SEEN: TableDefinition<&str, u64> = TableDefinition::new("seen_signatures");

/// A deployment the node holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
	pub deployment: Deployment,
	pub workloads: Vec<WorkloadResult>,
	/// The contract's public IPs, given to `public_ip` workloads in order.
	pub public_ips: Vec<(String, String)>,
	/// Paused while the contract is in grace.
	pub paused: bool,
	/// The node confirmed this version on chain.
	pub confirmed: bool,
	/// The node confirmed some version of this contract on chain: from then on the chain takes
	/// its reports (SPEC §4.5), through later updates too.
	#[serde(default)]
	pub ever_confirmed: bool,
	/// The containers of VM workloads (`container` provisioner).
	#[serde(default)]
	pub vms: Vec<RunningVm>,
}

/// A VM workload's container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningVm {
	/// The workload.
	pub name: String,
	/// Podman's container id.
	pub container: String,
	/// Which range of 65,536 host uids and gids the VM has.
	pub slot: u64,
	/// Unix seconds when it was (re)started.
	pub started_at: u64,
	/// The pid of the container's first process when its traffic was last read: a new pid is a
	/// new network namespace, whose counters start at zero.
	pub pid: u32,
	/// Bytes (received + sent) per interface when its traffic was last read.
	pub net_seen: std::collections::BTreeMap<String, u64>,
}

impl Record {
	pub fn new(deployment: Deployment, public_ips: &[ContractIp]) -> Record {
		Record {
			deployment,
			workloads: Vec::new(),
			public_ips: public_ips.iter().map(|ip| (ip.ip.clone(), ip.gateway.clone())).collect(),
			paused: false,
			confirmed: false,
			ever_confirmed: false,
			vms: Vec::new(),
		}
	}

	/// The chain takes reports for it: its node confirmed it, this version or an earlier one.
	pub fn reportable(&self) -> bool {
		self.confirmed || self.ever_confirmed
	}

	/// All workloads are `ok`.
	pub fn all_ok(&self) -> bool {
		self.workloads.len() == self.deployment.workloads.len()
			&& self.workloads.iter().all(|w| w.state == gridchain_sdk::agent::WorkloadState::Ok)
	}
}

/// The agent's database.
pub struct State {
	db: Database,
}

impl State {
	/// Open (or create) the database in `data_dir`.
	pub fn open(data_dir: &Path) -> anyhow::Result<State> {
		std::fs::create_dir_all(data_dir)
			.with_context(|| format!("cannot create {}", data_dir.display()))?;
		let db = Database::create(data_dir.join("agent.redb"))
			.context("cannot open the state database")?;
		let tx = db.begin_write()?;
		tx.open_table(DEPLOYMENTS)?;
		tx.open_table(LAST_REPORT)?;
		tx.delete_table(SEEN)?;
		tx.commit()?;
		Ok(State { db })
	}

	pub fn get(&self, contract_id: u64) -> anyhow::Result<Option<Record>> {
		let tx = self.db.begin_read()?;
		let table = tx.open_table(DEPLOYMENTS)?;
		match table.get(contract_id)? {
			Some(bytes) => Ok(Some(serde_json::from_slice(bytes.value())?)),
			None => Ok(None),
		}
	}

	pub fn put(&self, contract_id: u64, record: &Record) -> anyhow::Result<()> {
		let bytes = serde_json::to_vec(record)?;
		let tx = self.db.begin_write()?;
		tx.open_table(DEPLOYMENTS)?.insert(contract_id, bytes.as_slice())?;
		tx.commit()?;
		Ok(())
	}

	/// Forget a deployment and its last report.
	pub fn remove(&self, contract_id: u64) -> anyhow::Result<()> {
		let tx = self.db.begin_write()?;
		tx.open_table(DEPLOYMENTS)?.remove(contract_id)?;
		tx.open_table(LAST_REPORT)?.remove(contract_id)?;
		tx.commit()?;
		Ok(())
	}

	/// Every deployment, by contract id.
	pub fn all(&self) -> anyhow::Result<Vec<(u64, Record)>> {
		let tx = self.db.begin_read()?;
		let table = tx.open_table(DEPLOYMENTS)?;
		let mut out = Vec::new();
		for entry in table.iter()? {
			let (id, bytes) = entry?;
			out.push((id.value(), serde_json::from_slice(bytes.value())?));
		}
		Ok(out)
	}

	pub fn last_report(&self, contract_id: u64) -> anyhow::Result<Option<u64>> {
		let tx = self.db.begin_read()?;
		Ok(tx.open_table(LAST_REPORT)?.get(contract_id)?.map(|v| v.value()))
	}

	/// Record the timestamps of reports about to be sent; written before sending, so a crash
	/// can never send the same timestamp twice.
	pub fn set_last_reports(&self, reports: &[(u64, u64)]) -> anyhow::Result<()> {
		let tx = self.db.begin_write()?;
		{
			let mut table = tx.open_table(LAST_REPORT)?;
			for (contract_id, timestamp) in reports {
				table.insert(*contract_id, *timestamp)?;
			}
		}
		tx.commit()?;
		Ok(())
	}
}
