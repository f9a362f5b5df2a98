//! Records and reports, runs nothing: for tests and dry runs.

use super::{mark_all, public_ip_result, Provisioner};
use crate::state::Record;
use gridchain_sdk::{
	agent::{WorkloadResult, WorkloadState},
	deployment::{Deployment, WorkloadData},
};

#[derive(Default)]
pub struct SimProvisioner;

impl Provisioner for SimProvisioner {
	fn check(&self, _doc: &Deployment) -> Result<(), (&'static str, String)> {
		Ok(())
	}

	fn provision(&self, _contract_id: u64, record: &mut Record) {
		record.workloads = record
			.deployment
			.workloads
			.iter()
			.map(|w| match w.data {
				WorkloadData::PublicIp(_) => public_ip_result(record, &w.name),
				_ => WorkloadResult {
					name: w.name.clone(),
					state: WorkloadState::Ok,
					message: "simulated".into(),
					data: serde_json::Value::Null,
				},
			})
			.collect();
	}

	fn deprovision(&self, _contract_id: u64, _record: &Record) {}

	fn pause(&self, _contract_id: u64, record: &mut Record) {
		mark_all(record, WorkloadState::Paused);
	}

	fn resume(&self, _contract_id: u64, record: &mut Record) {
		mark_all(record, WorkloadState::Ok);
	}

	fn restore(&self, _contract_id: u64, _record: &mut Record) {}

	fn take_network_bytes(&self, _contract_id: u64, _record: &mut Record) -> u64 {
		0
	}

	fn supervise(&self, _contract_id: u64, _record: &mut Record) -> bool {
		false
	}

	fn logs(
		&self,
		_contract_id: u64,
		_record: &Record,
		workload: &str,
		_tail: usize,
	) -> Result<String, String> {
		Err(format!("the sim provisioner runs nothing, so `{workload}` has no logs"))
	}

	fn cleanup(&self, _live: &[u64]) {}
}
