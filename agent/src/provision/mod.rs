//! Running workloads, behind one trait: `container` runs them isolated with Podman (or, with
//! `hypervisor = "qemu"`, boots each as a virtual machine), `sim` only records them.

mod container;
mod qemu;
mod sim;

pub use container::ContainerProvisioner;
pub use sim::SimProvisioner;

use crate::state::Record;
use gridchain_sdk::agent::{WorkloadResult, WorkloadState};
use gridchain_sdk::deployment::{Deployment, WorkloadData};

/// Runs the workloads of deployments.
pub trait Provisioner: Send + Sync {
	/// What this provisioner refuses before anything is provisioned: `(code, message)` naming the
	/// workload and field.
	fn check(&self, doc: &Deployment) -> Result<(), (&'static str, String)>;
	/// Start every workload of `record` (replacing what ran before, on update) and fill in
	/// `record.workloads` with a result each.
	fn provision(&self, contract_id: u64, record: &mut Record);
	/// Stop and remove everything of the deployment: containers, networks, disks.
	fn deprovision(&self, contract_id: u64, record: &Record);
	/// Stop running, keep data (the contract is in grace).
	fn pause(&self, contract_id: u64, record: &mut Record);
	/// Run again after a pause.
	fn resume(&self, contract_id: u64, record: &mut Record);
	/// After the agent restarts: take over what still runs, restart what died.
	fn restore(&self, contract_id: u64, record: &mut Record);
	/// Network bytes the deployment's interfaces carried since the last call (which `record`
	/// remembers).
	fn take_network_bytes(&self, contract_id: u64, record: &mut Record) -> u64;
	/// Restart workloads that exited (called periodically); true if `record` changed.
	fn supervise(&self, contract_id: u64, record: &mut Record) -> bool;
	/// The last `tail` lines a VM workload wrote (stdout and stderr); why not, when they cannot
	/// be read.
	fn logs(
		&self,
		contract_id: u64,
		record: &Record,
		workload: &str,
		tail: usize,
	) -> Result<String, String>;
	/// Remove what runs for contracts other than `live` (left by a crash mid-removal).
	fn cleanup(&self, live: &[u64]);
}

/// The result of public IP workload `name`: the contract's IPs go to the public IP workloads in
/// document order.
pub fn public_ip_result(record: &Record, name: &str) -> WorkloadResult {
	let position = record
		.deployment
		.workloads
		.iter()
		.filter(|w| matches!(w.data, WorkloadData::PublicIp(_)))
		.position(|w| w.name == name);
	match position.and_then(|i| record.public_ips.get(i)) {
		Some((ip, gateway)) => WorkloadResult {
			name: name.to_string(),
			state: WorkloadState::Ok,
			message: String::new(),
			data: serde_json::json!({"ip": ip, "gateway": gateway}),
		},
		None => WorkloadResult {
			name: name.to_string(),
			state: WorkloadState::Error,
			message: "the contract reserved no IP for this workload".into(),
			data: serde_json::Value::Null,
		},
	}
}

/// Set every workload result of `record` to `state`.
pub fn mark_all(record: &mut Record, state: WorkloadState) {
	for w in &mut record.workloads {
		if w.state != WorkloadState::Error {
			w.state = state;
		}
	}
}
