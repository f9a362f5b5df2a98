//! Settlement's events: consumption reports, accepted and rejected; grace periods; burns. Bills
//! are written in bulk (`bulk::insert_bills`).

use super::{
	context::EventWrite,
	contracts::{contract_event, node_of},
};
use crate::{
	codes::{ContractEventKind, ContractState, GraceEnd, ReportRejection},
	db::error::{int, Result},
};
use gridchain_sdk::Resources;

/// An accepted report, with what the contract uses after the block's reports (its billing
/// record), which becomes the contract's `used`.
pub async fn report_accepted(
	w: &mut EventWrite<'_, '_>,
	contract_id: u64,
	timestamp: u64,
	window_secs: u64,
	cost_scaled_uusd: u128,
	used: Option<Resources>,
) -> Result<()> {
	let id = int(contract_id, "contract id")?;
	let node_id = node_of(w.tx, id).await?;
	let r = used.unwrap_or_default();
	sqlx::query(
		"INSERT INTO reports (block_number, event_index, contract_id, node_id, accepted, reason, timestamp, window_secs, cost_scaled_uusd, cru, sru, hru, mru, time) \
		 VALUES ($1, $2, $3, $4, 1, NULL, $5, $6, $7, $8, $9, $10, $11, $12)",
	)
	.bind(w.number)
	.bind(w.index)
	.bind(id)
	.bind(node_id)
	.bind(int(timestamp, "report timestamp")?)
	.bind(int(window_secs, "report window")?)
	.bind(cost_scaled_uusd.to_string())
	.bind(used.map(|_| int(r.cru, "cru")).transpose()?)
	.bind(used.map(|_| int(r.sru, "sru")).transpose()?)
	.bind(used.map(|_| int(r.hru, "hru")).transpose()?)
	.bind(used.map(|_| int(r.mru, "mru")).transpose()?)
	.bind(w.time)
	.execute(&mut **w.tx)
	.await?;
	if used.is_some() {
		sqlx::query(
			"UPDATE contracts SET used_cru = $2, used_sru = $3, used_hru = $4, used_mru = $5 WHERE id = $1",
		)
		.bind(id)
		.bind(int(r.cru, "cru")?)
		.bind(int(r.sru, "sru")?)
		.bind(int(r.hru, "hru")?)
		.bind(int(r.mru, "mru")?)
		.execute(&mut **w.tx)
		.await?;
		if let Some(node_id) = node_id {
			w.touched_nodes.insert(node_id);
		}
	}
	Ok(())
}

pub async fn report_rejected(
	w: &mut EventWrite<'_, '_>,
	contract_id: u64,
	reason: ReportRejection,
) -> Result<()> {
	let id = int(contract_id, "contract id")?;
	// Another node reported on a contract not its own: the event does not say which.
	let node_id = match reason {
		ReportRejection::NotANodeContractOfThisNode => None,
		_ => node_of(w.tx, id).await?,
	};
	sqlx::query(
		"INSERT INTO reports (block_number, event_index, contract_id, node_id, accepted, reason, time) VALUES ($1, $2, $3, $4, 0, $5, $6)",
	)
	.bind(w.number)
	.bind(w.index)
	.bind(id)
	.bind(node_id)
	.bind(reason.as_str())
	.bind(w.time)
	.execute(&mut **w.tx)
	.await?;
	Ok(())
}

/// The contract could not pay `debt`: it enters its grace period, remembering its state.
pub async fn grace_started(w: &mut EventWrite<'_, '_>, contract_id: u64, debt: u128) -> Result<()> {
	let id = int(contract_id, "contract id")?;
	sqlx::query(
		"UPDATE contracts SET state_before_grace = state, state = $3, updated_block = $2 WHERE id = $1",
	)
	.bind(id)
	.bind(w.number)
	.bind(ContractState::GracePeriod.as_str())
	.execute(&mut **w.tx)
	.await?;
	sqlx::query("INSERT INTO grace_periods (contract_id, started_block, debt) VALUES ($1, $2, $3)")
		.bind(id)
		.bind(w.number)
		.bind(int(debt, "debt")?)
		.execute(&mut **w.tx)
		.await?;
	let detail = format!("debt {debt}");
	contract_event(w, contract_id, ContractEventKind::GraceStarted, &detail).await
}

/// A top-up paid the debt: the contract returns to the state it had before.
pub async fn grace_ended(w: &mut EventWrite<'_, '_>, contract_id: u64) -> Result<()> {
	let id = int(contract_id, "contract id")?;
	sqlx::query(
		"UPDATE contracts SET state = COALESCE(state_before_grace, $3), state_before_grace = NULL, updated_block = $2 WHERE id = $1",
	)
	.bind(id)
	.bind(w.number)
	.bind(ContractState::Created.as_str())
	.execute(&mut **w.tx)
	.await?;
	sqlx::query(
		"UPDATE grace_periods SET ended_block = $2, ended_by = $3 WHERE contract_id = $1 AND ended_block IS NULL",
	)
	.bind(id)
	.bind(w.number)
	.bind(GraceEnd::Paid.as_str())
	.execute(&mut **w.tx)
	.await?;
	contract_event(w, contract_id, ContractEventKind::GraceEnded, "").await
}

pub async fn burned(w: &mut EventWrite<'_, '_>, amount: u128) -> Result<()> {
	sqlx::query(
		"INSERT INTO burns (block_number, event_index, amount, time) VALUES ($1, $2, $3, $4)",
	)
	.bind(w.number)
	.bind(w.index)
	.bind(int(amount, "burned amount")?)
	.bind(w.time)
	.execute(&mut **w.tx)
	.await?;
	Ok(())
}
