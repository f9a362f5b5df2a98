//! Consumption reports: every interval, one per deployment, in calls of at most 256.

use crate::{
	agent::{Agent, Shared},
	metrics::Metrics,
};
use gridchain_sdk::{agent::WorkloadState, Consumption, Resources, MAX_REPORTS_PER_CALL};
use std::time::Duration;

/// Report forever, every `report_interval_secs`.
pub async fn run(agent: Shared) {
	let mut interval =
		tokio::time::interval(Duration::from_secs(agent.config.report_interval_secs));
	interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
	interval.tick().await;
	loop {
		interval.tick().await;
		if let Err(e) = agent.confirm_pending().await {
			tracing::warn!("confirming deployments failed: {e:#}");
		}
		if let Err(e) = report_once(&agent).await {
			tracing::warn!("reporting failed: {e:#}");
		}
	}
}

/// What a deployment uses now: the reserved capacity of its `ok` workloads (none while paused).
/// A part of the document's capacity, which its contract declares (the agent refuses a document
/// whose capacity differs), so never more than the chain lets a report bill.
fn used(record: &crate::state::Record) -> Resources {
	if record.paused {
		return Resources::default();
	}
	let mut doc = record.deployment.clone();
	doc.workloads.retain(|w| {
		record.workloads.iter().any(|r| r.name == w.name && r.state == WorkloadState::Ok)
	});
	doc.capacity().into()
}

/// A rejection that says the contract is no longer this node's to run.
fn means_ended(reason: &str) -> bool {
	matches!(reason, "NotANodeContractOfThisNode" | "ContractNotExists")
}

/// Send one report per deployment the node confirmed (the chain rejects the others as
/// `NeverDeployed`). Timestamps are the chain's time, always after the previous report's, and
/// stored before sending so a crash never sends one twice.
pub async fn report_once(agent: &Agent) -> anyhow::Result<()> {
	let mut reports = Vec::new();
	{
		// The traffic counters seen are kept with each record: no change may interleave.
		let _change = agent.changes.lock().await;
		// Chain time read once the lock is held: a deployment created and confirmed while this
		// waited for it was created after a time read before, and a report stamped with that
		// time would not be after the contract's creation (`TimestampNotAfterPrevious`).
		let chain_now = agent.client.chain_time_secs().await?;
		for (contract_id, mut record) in agent.state.all()? {
			if !record.reportable() {
				continue;
			}
			let last = agent.state.last_report(contract_id)?.unwrap_or(0);
			let timestamp = chain_now.max(last.saturating_add(1));
			let seen = record.vms.clone();
			let nru = tokio::task::block_in_place(|| {
				agent.provisioner.take_network_bytes(contract_id, &mut record)
			});
			// Written only when the counters moved: no database write per idle deployment.
			if record.vms != seen {
				agent.state.put(contract_id, &record)?;
			}
			reports.push(Consumption { contract_id, timestamp, used: used(&record), nru });
		}
	}
	for batch in reports.chunks(MAX_REPORTS_PER_CALL) {
		agent.state.set_last_reports(
			&batch.iter().map(|r| (r.contract_id, r.timestamp)).collect::<Vec<_>>(),
		)?;
		let outcome = agent.client.report_consumption(agent.identity.keypair(), batch).await?;
		Metrics::add(&agent.metrics.reports_sent, outcome.received.len() as u64);
		Metrics::add(&agent.metrics.reports_rejected, outcome.rejected.len() as u64);
		for (contract_id, reason) in outcome.rejected {
			// Not retried: the chain said why (`NeverDeployed`, `ExceedsContractCapacity`, …),
			// and the next interval reports afresh.
			tracing::warn!(contract_id, reason = %reason, "the chain rejected a consumption report");
			if means_ended(&reason) {
				// The contract ended without the agent seeing it: nobody pays for it any more.
				crate::chain_watch::reconcile_one(agent, contract_id).await?;
			}
		}
		tracing::info!(reports = batch.len(), "consumption reported");
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	#[test]
	fn only_the_rejections_that_say_the_contract_is_gone_end_a_deployment() {
		for reason in ["NotANodeContractOfThisNode", "ContractNotExists"] {
			assert!(super::means_ended(reason), "{reason}");
		}
		for reason in [
			"TimestampNotAfterPrevious",
			"TimestampInFuture",
			"ExceedsContractCapacity",
			"NeverDeployed",
		] {
			assert!(!super::means_ended(reason), "{reason}");
		}
	}
}
