//! Following finalized blocks: contracts that end are deprovisioned, those in grace paused and
//! resumed after.

use crate::agent::{now_secs, Agent, Shared};
use gridchain_sdk::{chain::smart_contract::events as ev, ContractState, Error};
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
	while let Some(block) = blocks.next().await {
		let block = block?;
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

/// Bring every deployment in line with its contract, for what happened while the agent was away.
pub async fn reconcile(agent: &Agent) -> anyhow::Result<()> {
	for (contract_id, _) in agent.state.all()? {
		match agent.client.contract(contract_id).await {
			Err(Error::NotFound { .. }) => agent.deprovision(contract_id).await?,
			Ok(contract) => {
				agent
					.set_paused(
						contract_id,
						matches!(contract.state, ContractState::GracePeriod { .. }),
					)
					.await?
			}
			Err(e) => return Err(e.into()),
		}
	}
	Ok(())
}
