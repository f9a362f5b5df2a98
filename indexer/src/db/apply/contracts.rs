//! Contracts' lives: created, updated, deployed, canceled; the public IPs they hold; their
//! events; and their nodes' sums over them.

use super::context::{EventWrite, Tx};
use crate::{
	codes::{CancelCause, ContractEventKind, ContractKind, ContractState, GraceEnd},
	db::error::{int, Result},
	fetch::ContractRecord,
};
use gridchain_sdk::Resources;

pub async fn created(w: &mut EventWrite<'_, '_>, c: &ContractRecord) -> Result<()> {
	sqlx::query(
		"INSERT INTO contracts (id, twin_id, kind, node_id, name, deployment_hash, version, state, deposit, public_ips, used_cru, used_sru, used_hru, used_mru, \
		 capacity_cru, capacity_sru, capacity_hru, capacity_mru, billed, created_block, created_time, updated_block) \
		 VALUES ($1, $2, $3, $4, $5, $6, 1, $15, $7, $8, 0, 0, 0, 0, $11, $12, $13, $14, 0, $9, $10, $9)",
	)
	.bind(int(c.id, "contract id")?)
	.bind(i64::from(c.twin_id))
	.bind(c.kind.as_str())
	.bind(c.node_id.map(i64::from))
	.bind(c.name.as_deref())
	.bind(c.deployment_hash.as_deref())
	.bind(int(c.deposit, "deposit")?)
	.bind(i64::from(c.public_ips))
	.bind(w.number)
	.bind(w.time)
	.bind(int(c.capacity.cru, "cru")?)
	.bind(int(c.capacity.sru, "sru")?)
	.bind(int(c.capacity.hru, "hru")?)
	.bind(int(c.capacity.mru, "mru")?)
	.bind(ContractState::Created.as_str())
	.execute(&mut **w.tx)
	.await?;
	if let (Some(node_id), ContractKind::Node) = (c.node_id, c.kind) {
		w.touched_nodes.insert(i64::from(node_id));
	}
	contract_event(w, c.id, ContractEventKind::Created, "").await
}

/// A new version: its deployment hash and deposit (when the contract still exists at the end of
/// the block) and the capacity it declares.
pub async fn updated(
	w: &mut EventWrite<'_, '_>,
	id: u64,
	version: u32,
	deployment_hash: Option<&str>,
	deposit: Option<u128>,
	capacity: &Resources,
) -> Result<()> {
	let contract_id = int(id, "contract id")?;
	sqlx::query(
		"UPDATE contracts SET version = $2, deployment_hash = COALESCE($3, deployment_hash), deposit = COALESCE($5, deposit), state = $10, updated_block = $4, \
		 capacity_cru = $6, capacity_sru = $7, capacity_hru = $8, capacity_mru = $9 WHERE id = $1",
	)
	.bind(contract_id)
	.bind(i64::from(version))
	.bind(deployment_hash)
	.bind(w.number)
	.bind(deposit.map(|d| int(d, "deposit")).transpose()?)
	.bind(int(capacity.cru, "cru")?)
	.bind(int(capacity.sru, "sru")?)
	.bind(int(capacity.hru, "hru")?)
	.bind(int(capacity.mru, "mru")?)
	.bind(ContractState::Created.as_str())
	.execute(&mut **w.tx)
	.await?;
	if let Some(node_id) = node_of(w.tx, contract_id).await? {
		w.touched_nodes.insert(node_id);
	}
	let detail = format!("version {version}");
	contract_event(w, id, ContractEventKind::Updated, &detail).await
}

pub async fn deployed(w: &mut EventWrite<'_, '_>, id: u64) -> Result<()> {
	set_state(w, id, ContractState::Deployed).await?;
	contract_event(w, id, ContractEventKind::Deployed, "").await
}

/// Ended, with `cause` and the debt
/// it left; a grace period it was in ends with it.
pub async fn canceled(
	w: &mut EventWrite<'_, '_>,
	id: u64,
	cause: CancelCause,
	unpaid: u128,
) -> Result<()> {
	let contract_id = int(id, "contract id")?;
	if let Some(node_id) = node_of(w.tx, contract_id).await? {
		w.touched_nodes.insert(node_id);
	}
	sqlx::query(
		"UPDATE contracts SET state = $5, cause = $2, unpaid = $3, updated_block = $4 WHERE id = $1",
	)
	.bind(contract_id)
	.bind(cause.as_str())
	.bind(int(unpaid, "unpaid amount")?)
	.bind(w.number)
	.bind(ContractState::Deleted.as_str())
	.execute(&mut **w.tx)
	.await?;
	sqlx::query(
		"UPDATE grace_periods SET ended_block = $2, ended_by = $3 WHERE contract_id = $1 AND ended_block IS NULL",
	)
	.bind(contract_id)
	.bind(w.number)
	.bind(GraceEnd::Canceled.as_str())
	.execute(&mut **w.tx)
	.await?;
	let detail = format!("{cause}, unpaid {unpaid}");
	contract_event(w, id, ContractEventKind::Canceled, &detail).await
}

pub async fn ips_reserved(
	w: &mut EventWrite<'_, '_>,
	contract_id: u64,
	farm_id: u32,
	ips: &[String],
) -> Result<()> {
	for ip in ips {
		sqlx::query("UPDATE public_ips SET contract_id = $1 WHERE farm_id = $2 AND ip = $3")
			.bind(int(contract_id, "contract id")?)
			.bind(i64::from(farm_id))
			.bind(ip)
			.execute(&mut **w.tx)
			.await?;
	}
	Ok(())
}

pub async fn ips_freed(w: &mut EventWrite<'_, '_>, contract_id: u64, ips: &[String]) -> Result<()> {
	for ip in ips {
		sqlx::query("UPDATE public_ips SET contract_id = 0 WHERE contract_id = $1 AND ip = $2")
			.bind(int(contract_id, "contract id")?)
			.bind(ip)
			.execute(&mut **w.tx)
			.await?;
	}
	Ok(())
}

/// Move contract `id` to `state`.
pub async fn set_state(w: &mut EventWrite<'_, '_>, id: u64, state: ContractState) -> Result<()> {
	sqlx::query("UPDATE contracts SET state = $2, updated_block = $3 WHERE id = $1")
		.bind(int(id, "contract id")?)
		.bind(state.as_str())
		.bind(w.number)
		.execute(&mut **w.tx)
		.await?;
	Ok(())
}

/// The node of contract `contract_id`, if it has one.
pub async fn node_of(tx: &mut Tx<'_>, contract_id: i64) -> Result<Option<i64>> {
	let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT node_id FROM contracts WHERE id = $1")
		.bind(contract_id)
		.fetch_optional(&mut **tx)
		.await?;
	Ok(row.and_then(|(n,)| n))
}

/// Record a state change of contract `contract_id`, with the state it leaves the contract in
/// (`deleted` when its row is gone).
pub async fn contract_event(
	w: &mut EventWrite<'_, '_>,
	contract_id: u64,
	kind: ContractEventKind,
	detail: &str,
) -> Result<()> {
	sqlx::query(
		"INSERT INTO contract_events (block_number, event_index, contract_id, kind, state, detail, time) \
		 SELECT $1, $2, $3, $4, COALESCE((SELECT state FROM contracts WHERE id = $3), $7), $5, $6",
	)
	.bind(w.number)
	.bind(w.index)
	.bind(int(contract_id, "contract id")?)
	.bind(kind.as_str())
	.bind(detail)
	.bind(w.time)
	.bind(ContractState::Deleted.as_str())
	.execute(&mut **w.tx)
	.await?;
	Ok(())
}

/// A node's sums over its live node contracts: what their latest reports use, and what they
/// declare (its free capacity is its resources minus the declared sum, SPEC §4.5).
const NODE_SUMS: &str = "UPDATE nodes SET \
	used_cru = (SELECT COALESCE(SUM(used_cru), 0) FROM contracts WHERE node_id = $1 AND kind = $2 AND state <> $3), \
	used_sru = (SELECT COALESCE(SUM(used_sru), 0) FROM contracts WHERE node_id = $1 AND kind = $2 AND state <> $3), \
	used_hru = (SELECT COALESCE(SUM(used_hru), 0) FROM contracts WHERE node_id = $1 AND kind = $2 AND state <> $3), \
	used_mru = (SELECT COALESCE(SUM(used_mru), 0) FROM contracts WHERE node_id = $1 AND kind = $2 AND state <> $3), \
	declared_cru = (SELECT COALESCE(SUM(capacity_cru), 0) FROM contracts WHERE node_id = $1 AND kind = $2 AND state <> $3), \
	declared_sru = (SELECT COALESCE(SUM(capacity_sru), 0) FROM contracts WHERE node_id = $1 AND kind = $2 AND state <> $3), \
	declared_hru = (SELECT COALESCE(SUM(capacity_hru), 0) FROM contracts WHERE node_id = $1 AND kind = $2 AND state <> $3), \
	declared_mru = (SELECT COALESCE(SUM(capacity_mru), 0) FROM contracts WHERE node_id = $1 AND kind = $2 AND state <> $3) \
	WHERE id = $1";

/// Recompute node `node_id`'s sums over its live node contracts ([`NODE_SUMS`]).
pub async fn refresh_node_sums(tx: &mut Tx<'_>, node_id: i64) -> Result<()> {
	sqlx::query(NODE_SUMS)
		.bind(node_id)
		.bind(ContractKind::Node.as_str())
		.bind(ContractState::Deleted.as_str())
		.execute(&mut **tx)
		.await?;
	Ok(())
}
