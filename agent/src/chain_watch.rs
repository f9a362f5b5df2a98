//! Following finalized blocks: contracts that end are deprovisioned, those in grace paused and
//! resumed after. Every `reconcile_every_blocks` blocks (and on every start and reconnection)
//! every deployment is checked against its contract, so one whose end the agent did not see (a
//! block the stream skipped, an error half-way through one) does not run unpaid.

use crate::agent::{now_secs, Agent, Shared};
use gridchain_sdk::{chain::smart_contract::events as ev, ContractKind, ContractState, Error};
use std::{sync::atomic::Ordering, time::Duration};

/// Follow the chain forever, reconnecting the block stream when it ends.
pub async fn run(agent: Shared) {
	loop {
		if let Err(e) = follow(&agent).await {
			tracing::warn!("following the chain: {e:#}; retrying");
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
}

async fn follow(agent: &Agent) -> anyhow::Result<()> {
	// Subscribe first: what is finalized while reconciling then still comes through the stream.
	let mut blocks = agent.client.api().stream_blocks().await?;
	reconcile(agent).await?;
	let every = u64::from(agent.config.reconcile_every_blocks);
	let mut seen = 0u64;
	while let Some(block) = blocks.next().await {
		let block = block?;
		seen = seen.saturating_add(1);
		if seen.is_multiple_of(every) {
			reconcile(agent).await?;
		}
		let events = block.at().await?.events().fetch().await?;
		for e in events.find::<ev::ContractCanceled>() {
			agent.deprovision(e?.contract_id).await?;
		}
		for e in events.find::<ev::ContractGracePeriodStarted>() {
			agent.set_paused(e?.contract_id, true).await?;
		}
		for e in events.find::<ev::ContractGracePeriodEnded>() {
			agent.set_paused(e?.contract_id, false).await?;
		}
		agent.metrics.finalized_block.store(block.number(), Ordering::Relaxed);
		agent.metrics.last_block_seen.store(now_secs(), Ordering::Relaxed);
	}
	Ok(())
}

/// Bring every deployment in line with its contract, for what happened while the agent was away
/// or did not see.
pub async fn reconcile(agent: &Agent) -> anyhow::Result<()> {
	for (contract_id, _) in agent.state.all()? {
		reconcile_one(agent, contract_id).await?;
	}
	Ok(())
}

/// Bring one deployment in line with its contract: removed if the contract ended or is not a
/// node contract of this node, paused while it is in grace, running otherwise.
pub async fn reconcile_one(agent: &Agent, contract_id: u64) -> anyhow::Result<()> {
	match agent.client.contract(contract_id).await {
		Err(Error::NotFound { .. }) => {
			tracing::warn!(contract_id, "the contract ended unseen: deprovisioning");
			agent.deprovision(contract_id).await
		}
		Ok(contract) => match contract.kind {
			ContractKind::Node { node_id, .. } if node_id == agent.node_id => {
				agent
					.set_paused(
						contract_id,
						matches!(contract.state, ContractState::GracePeriod { .. }),
					)
					.await
			}
			_ => {
				tracing::warn!(contract_id, "not a node contract of this node: deprovisioning");
				agent.deprovision(contract_id).await
			}
		},
		Err(e) => Err(e.into()),
	}
}
