//! The database: SQLite (a file, the default) or PostgreSQL, through sqlx's `Any` driver so that
//! one set of migrations and queries serves both.

use crate::fetch::{BlockData, Change, ContractRecord};
use gridchain_sdk::Node;
use sqlx::{any::AnyPoolOptions, AnyPool, Executor};
use std::{
	collections::BTreeSet,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::Duration,
};

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
	Sqlite,
	Postgres,
}

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
	#[error("database: {0}")]
	Sql(#[from] sqlx::Error),
	#[error("database migration: {0}")]
	Migrate(#[from] sqlx::migrate::MigrateError),
	#[error("{what} {value} does not fit the database's 64-bit integers")]
	TooLarge { what: &'static str, value: u128 },
	#[error("--database {0}: expected postgres://…, sqlite://PATH or a file path")]
	Url(String),
	#[error("the database writer stopped: {0}")]
	Writer(String),
	#[error("block {got} does not follow the last indexed block {last}")]
	Gap { last: i64, got: u64 },
}

pub type Result<T> = std::result::Result<T, DbError>;

/// The indexer's database: the follower's handle ([`Db::connect`]) or the API's
/// ([`Db::connect_reader`]), each with a pool of its own, so that a flood of queries waits for the
/// API's connections and never for the one the follower writes with.
#[derive(Clone)]
pub struct Db {
	pub pool: AnyPool,
	pub backend: Backend,
	/// SQL reads (SELECT statements) the API has sent through this handle
	/// (`grid_indexer_api_reads_total`).
	reads: Arc<AtomicU64>,
}

/// What bounds the API's reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderLimits {
	/// Connections: the most statements the API runs at once.
	pub connections: u32,
	/// The longest a statement may run (PostgreSQL's `statement_timeout`), a SQLite connection
	/// waits for a lock (`busy_timeout`), and a request waits for a free connection.
	pub statement_timeout: Duration,
}

impl ReaderLimits {
	/// 4 connections on SQLite (readers beyond the cores only wait), 8 on PostgreSQL.
	pub fn default_for(backend: Backend, statement_timeout: Duration) -> ReaderLimits {
		let connections = if backend == Backend::Sqlite { 4 } else { 8 };
		ReaderLimits { connections, statement_timeout }
	}
}

/// The follower's connections: one writes, one answers `/health` meanwhile.
const WRITER_CONNECTIONS: u32 = 2;

/// The database URL for `--database`: a `postgres://` URL as is, anything else a SQLite file.
pub fn database_url(arg: &str) -> Result<(String, Backend)> {
	if arg.starts_with("postgres://") || arg.starts_with("postgresql://") {
		return Ok((arg.to_string(), Backend::Postgres));
	}
	let path = arg.strip_prefix("sqlite://").or_else(|| arg.strip_prefix("sqlite:")).unwrap_or(arg);
	if path.is_empty() || path.contains("://") || path.starts_with(":memory:") {
		return Err(DbError::Url(arg.to_string()));
	}
	let path = path.split('?').next().unwrap_or(path);
	Ok((format!("sqlite://{path}?mode=rwc"), Backend::Sqlite))
}

impl Db {
	/// Open (creating a SQLite file if needed) and migrate: the follower's handle.
	pub async fn connect(arg: &str) -> Result<Db> {
		sqlx::any::install_default_drivers();
		let (url, backend) = database_url(arg)?;
		let options = AnyPoolOptions::new().max_connections(WRITER_CONNECTIONS).after_connect(
			move |conn, _| {
				Box::pin(async move {
					if backend == Backend::Sqlite {
						// WAL: readers do not wait for the writer, and a killed process leaves the
						// last committed transaction intact.
						conn.execute("PRAGMA journal_mode = WAL").await?;
						conn.execute("PRAGMA synchronous = NORMAL").await?;
						conn.execute("PRAGMA busy_timeout = 10000").await?;
						conn.execute("PRAGMA foreign_keys = ON").await?;
					}
					Ok(())
				})
			},
		);
		let pool = options.connect(&url).await?;
		sqlx::migrate!("./migrations").run(&pool).await?;
		Ok(Db { pool, backend, reads: Arc::default() })
	}

	/// The API's handle on a database [`Db::connect`] has opened: a pool of its own, read-only,
	/// each statement bounded by `limits.statement_timeout`.
	pub async fn connect_reader(arg: &str, limits: ReaderLimits) -> Result<Db> {
		sqlx::any::install_default_drivers();
		let (url, backend) = database_url(arg)?;
		let timeout_ms = limits.statement_timeout.as_millis().max(1);
		let options = AnyPoolOptions::new()
			.max_connections(limits.connections.max(1))
			.acquire_timeout(limits.statement_timeout)
			.after_connect(move |conn, _| {
				Box::pin(async move {
					match backend {
						Backend::Sqlite => {
							conn.execute("PRAGMA query_only = ON").await?;
							let busy = format!("PRAGMA busy_timeout = {timeout_ms}");
							conn.execute(busy.as_str()).await?;
						}
						Backend::Postgres => {
							for set in [
								format!("SET statement_timeout = {timeout_ms}"),
								format!("SET idle_in_transaction_session_timeout = {timeout_ms}"),
								"SET default_transaction_read_only = on".to_string(),
							] {
								conn.execute(set.as_str()).await?;
							}
						}
					}
					Ok(())
				})
			});
		let pool = options.connect(&url).await?;
		Ok(Db { pool, backend, reads: Arc::default() })
	}

	/// The pool, counting one read about to be sent on it.
	pub fn reading(&self) -> &AnyPool {
		self.count_read();
		&self.pool
	}

	/// Count one read sent on a connection of this handle (in a transaction, say).
	pub fn count_read(&self) {
		self.reads.fetch_add(1, Ordering::Relaxed);
	}

	/// Reads counted by [`Db::reading`] and [`Db::count_read`] so far.
	pub fn reads(&self) -> u64 {
		self.reads.load(Ordering::Relaxed)
	}

	/// The last committed block, if any.
	pub async fn cursor(&self) -> Result<Option<(i64, String)>> {
		let row: Option<(i64, String)> =
			sqlx::query_as("SELECT block_number, block_hash FROM cursor WHERE id = 1")
				.fetch_optional(&self.pool)
				.await?;
		Ok(row)
	}

	/// The hash of indexed block `number`.
	pub async fn block_hash(&self, number: i64) -> Result<Option<String>> {
		let row: Option<(String,)> = sqlx::query_as("SELECT hash FROM blocks WHERE number = $1")
			.bind(number)
			.fetch_optional(&self.pool)
			.await?;
		Ok(row.map(|(h,)| h))
	}

	/// Write `blocks` (consecutive, following the cursor) and move the cursor, in one
	/// transaction: after a crash the database holds all of them or none.
	pub async fn commit(&self, blocks: &[BlockData]) -> Result<()> {
		let Some(last) = blocks.last() else { return Ok(()) };
		let mut tx = self.pool.begin().await?;
		let cursor: Option<(i64,)> = sqlx::query_as("SELECT block_number FROM cursor WHERE id = 1")
			.fetch_optional(&mut *tx)
			.await?;
		let first = cursor.map(|(n,)| n + 1).unwrap_or(0);
		let mut touched_nodes = BTreeSet::new();
		// Transfers are most of a busy chain's events: written many rows per statement.
		let mut transfers = Vec::new();
		for (expected, block) in (first..).zip(blocks) {
			if i64::try_from(block.number).ok() != Some(expected) {
				return Err(DbError::Gap { last: expected - 1, got: block.number });
			}
			sqlx::query("INSERT INTO blocks (number, hash, time, events) VALUES ($1, $2, $3, $4)")
				.bind(int(block.number, "block number")?)
				.bind(&block.hash)
				.bind(int(block.time, "block time")?)
				.bind(int(block.events, "event count")?)
				.execute(&mut *tx)
				.await?;
			for (index, change) in &block.changes {
				if let Change::Transfer { from, to, amount } = change {
					let row = (
						int(block.number, "block number")?,
						i64::from(*index),
						from.as_str(),
						to.as_str(),
						int(*amount, "transfer amount")?,
						int(block.time, "block time")?,
					);
					transfers.push(row);
					continue;
				}
				apply(&mut tx, block, *index, change, &mut touched_nodes).await?;
			}
		}
		// PostgreSQL gains from fewer round trips; SQLite, in process, from one cached statement.
		let rows = if self.backend == Backend::Postgres { TRANSFER_ROWS } else { 1 };
		for chunk in transfers.chunks(rows) {
			let placeholders: Vec<String> = (0..chunk.len())
				.map(|i| {
					let p = i * 6;
					format!(
						"(${}, ${}, ${}, ${}, ${}, ${})",
						p + 1,
						p + 2,
						p + 3,
						p + 4,
						p + 5,
						p + 6
					)
				})
				.collect();
			let sql = format!(
				"INSERT INTO transfers (block_number, event_index, from_account, to_account, amount, time) VALUES {}",
				placeholders.join(", ")
			);
			let mut query = sqlx::query(&sql);
			for (number, index, from, to, amount, time) in chunk {
				query = query
					.bind(*number)
					.bind(*index)
					.bind(*from)
					.bind(*to)
					.bind(*amount)
					.bind(*time);
			}
			query.execute(&mut *tx).await?;
		}
		for node_id in touched_nodes {
			sqlx::query(NODE_SUMS).bind(node_id).execute(&mut *tx).await?;
		}
		sqlx::query(
			"INSERT INTO cursor (id, block_number, block_hash) VALUES (1, $1, $2) \
			 ON CONFLICT (id) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash",
		)
		.bind(int(last.number, "block number")?)
		.bind(&last.hash)
		.execute(&mut *tx)
		.await?;
		tx.commit().await?;
		Ok(())
	}
}

/// A node's sums over its live node contracts: what their latest reports use, and what they
/// declare (its free capacity is its resources minus the declared sum, SPEC §4.5).
const NODE_SUMS: &str = "UPDATE nodes SET \
	used_cru = (SELECT COALESCE(SUM(used_cru), 0) FROM contracts WHERE node_id = $1 AND kind = 'node' AND state <> 'deleted'), \
	used_sru = (SELECT COALESCE(SUM(used_sru), 0) FROM contracts WHERE node_id = $1 AND kind = 'node' AND state <> 'deleted'), \
	used_hru = (SELECT COALESCE(SUM(used_hru), 0) FROM contracts WHERE node_id = $1 AND kind = 'node' AND state <> 'deleted'), \
	used_mru = (SELECT COALESCE(SUM(used_mru), 0) FROM contracts WHERE node_id = $1 AND kind = 'node' AND state <> 'deleted'), \
	declared_cru = (SELECT COALESCE(SUM(capacity_cru), 0) FROM contracts WHERE node_id = $1 AND kind = 'node' AND state <> 'deleted'), \
	declared_sru = (SELECT COALESCE(SUM(capacity_sru), 0) FROM contracts WHERE node_id = $1 AND kind = 'node' AND state <> 'deleted'), \
	declared_hru = (SELECT COALESCE(SUM(capacity_hru), 0) FROM contracts WHERE node_id = $1 AND kind = 'node' AND state <> 'deleted'), \
	declared_mru = (SELECT COALESCE(SUM(capacity_mru), 0) FROM contracts WHERE node_id = $1 AND kind = 'node' AND state <> 'deleted') \
	WHERE id = $1";

/// Transfer rows per INSERT on PostgreSQL: 6 parameters each, well under its 65,535.
const TRANSFER_ROWS: usize = 1000;

/// A chain integer as a database BIGINT, or a named error when it does not fit.
pub fn int<T: Into<u128>>(value: T, what: &'static str) -> Result<i64> {
	let value = value.into();
	i64::try_from(value).map_err(|_| DbError::TooLarge { what, value })
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

async fn apply(
	tx: &mut Tx<'_>,
	block: &BlockData,
	index: u32,
	change: &Change,
	touched_nodes: &mut BTreeSet<i64>,
) -> Result<()> {
	let number = int(block.number, "block number")?;
	let time = int(block.time, "block time")?;
	let index = i64::from(index);
	match change {
		Change::Twin { id, account, pk, relay } => {
			sqlx::query(
				"INSERT INTO twins (id, account, pk, relay, created_block, updated_block) VALUES ($1, $2, $3, $4, $5, $5) \
				 ON CONFLICT (id) DO UPDATE SET account = excluded.account, pk = excluded.pk, relay = excluded.relay, updated_block = excluded.updated_block",
			)
			.bind(i64::from(*id))
			.bind(account)
			.bind(pk.clone())
			.bind(relay.clone())
			.bind(number)
			.execute(&mut **tx)
			.await?;
		}
		Change::Farm { id, name, twin_id, pricing_policy_id, dedicated } => {
			sqlx::query(
				"INSERT INTO farms (id, name, twin_id, pricing_policy_id, dedicated, created_block) VALUES ($1, $2, $3, $4, $5, $6) \
				 ON CONFLICT (id) DO UPDATE SET name = excluded.name, twin_id = excluded.twin_id, pricing_policy_id = excluded.pricing_policy_id, dedicated = excluded.dedicated",
			)
			.bind(i64::from(*id))
			.bind(name)
			.bind(i64::from(*twin_id))
			.bind(i64::from(*pricing_policy_id))
			.bind(i64::from(*dedicated))
			.bind(number)
			.execute(&mut **tx)
			.await?;
		}
		Change::FarmIpAdded { farm_id, ip, gateway } => {
			sqlx::query(
				"INSERT INTO public_ips (farm_id, ip, gateway, contract_id) VALUES ($1, $2, $3, 0)",
			)
			.bind(i64::from(*farm_id))
			.bind(ip)
			.bind(gateway)
			.execute(&mut **tx)
			.await?;
		}
		Change::FarmIpRemoved { farm_id, ip } => {
			sqlx::query("DELETE FROM public_ips WHERE farm_id = $1 AND ip = $2")
				.bind(i64::from(*farm_id))
				.bind(ip)
				.execute(&mut **tx)
				.await?;
		}
		Change::FarmDedicated { farm_id, dedicated } => {
			sqlx::query("UPDATE farms SET dedicated = $2 WHERE id = $1")
				.bind(i64::from(*farm_id))
				.bind(i64::from(*dedicated))
				.execute(&mut **tx)
				.await?;
		}
		Change::Node(node) => upsert_node(tx, node, number).await?,
		Change::NodeDeleted { id } => {
			sqlx::query("UPDATE nodes SET deleted = 1, updated_block = $2 WHERE id = $1")
				.bind(i64::from(*id))
				.bind(number)
				.execute(&mut **tx)
				.await?;
		}
		Change::ContractCreated(c) => {
			insert_contract(tx, c, number, time).await?;
			if let (Some(node_id), "node") = (c.node_id, c.kind) {
				touched_nodes.insert(i64::from(node_id));
			}
			contract_event(tx, number, index, time, c.id, "created", "").await?;
		}
		Change::ContractUpdated { id, version, deployment_hash, deposit, capacity } => {
			let contract_id = int(*id, "contract id")?;
			sqlx::query(
				"UPDATE contracts SET version = $2, deployment_hash = COALESCE($3, deployment_hash), deposit = COALESCE($5, deposit), state = 'created', updated_block = $4, \
				 capacity_cru = $6, capacity_sru = $7, capacity_hru = $8, capacity_mru = $9 WHERE id = $1",
			)
			.bind(contract_id)
			.bind(i64::from(*version))
			.bind(deployment_hash.clone())
			.bind(number)
			.bind(deposit.map(|d| int(d, "deposit")).transpose()?)
			.bind(int(capacity.cru, "cru")?)
			.bind(int(capacity.sru, "sru")?)
			.bind(int(capacity.hru, "hru")?)
			.bind(int(capacity.mru, "mru")?)
			.execute(&mut **tx)
			.await?;
			if let Some(node_id) = node_of(tx, contract_id).await? {
				touched_nodes.insert(node_id);
			}
			let detail = format!("version {version}");
			contract_event(tx, number, index, time, *id, "updated", &detail).await?;
		}
		Change::ContractDeployed { id } => {
			set_state(tx, *id, "deployed", number).await?;
			contract_event(tx, number, index, time, *id, "deployed", "").await?;
		}
		Change::ContractCanceled { id, cause, unpaid } => {
			let node: Option<(Option<i64>,)> =
				sqlx::query_as("SELECT node_id FROM contracts WHERE id = $1")
					.bind(int(*id, "contract id")?)
					.fetch_optional(&mut **tx)
					.await?;
			if let Some((Some(node_id),)) = node {
				touched_nodes.insert(node_id);
			}
			sqlx::query(
				"UPDATE contracts SET state = 'deleted', cause = $2, unpaid = $3, updated_block = $4 WHERE id = $1",
			)
			.bind(int(*id, "contract id")?)
			.bind(*cause)
			.bind(int(*unpaid, "unpaid amount")?)
			.bind(number)
			.execute(&mut **tx)
			.await?;
			sqlx::query(
				"UPDATE grace_periods SET ended_block = $2, ended_by = 'canceled' WHERE contract_id = $1 AND ended_block IS NULL",
			)
			.bind(int(*id, "contract id")?)
			.bind(number)
			.execute(&mut **tx)
			.await?;
			let detail = format!("{cause}, unpaid {unpaid}");
			contract_event(tx, number, index, time, *id, "canceled", &detail).await?;
		}
		Change::IpsReserved { contract_id, farm_id: Some(farm_id), ips } => {
			for ip in ips {
				sqlx::query(
					"UPDATE public_ips SET contract_id = $1 WHERE farm_id = $2 AND ip = $3",
				)
				.bind(int(*contract_id, "contract id")?)
				.bind(i64::from(*farm_id))
				.bind(ip)
				.execute(&mut **tx)
				.await?;
			}
		}
		Change::IpsReserved { farm_id: None, .. } => {}
		Change::IpsFreed { contract_id, ips } => {
			for ip in ips {
				sqlx::query(
					"UPDATE public_ips SET contract_id = 0 WHERE contract_id = $1 AND ip = $2",
				)
				.bind(int(*contract_id, "contract id")?)
				.bind(ip)
				.execute(&mut **tx)
				.await?;
			}
		}
		Change::ReportAccepted { contract_id, timestamp, window_secs, cost_scaled_uusd, used } => {
			let id = int(*contract_id, "contract id")?;
			let node_id = node_of(tx, id).await?;
			let r = used.unwrap_or_default();
			sqlx::query(
				"INSERT INTO reports (block_number, event_index, contract_id, node_id, accepted, reason, timestamp, window_secs, cost_scaled_uusd, cru, sru, hru, mru, time) \
				 VALUES ($1, $2, $3, $4, 1, NULL, $5, $6, $7, $8, $9, $10, $11, $12)",
			)
			.bind(number)
			.bind(index)
			.bind(id)
			.bind(node_id)
			.bind(int(*timestamp, "report timestamp")?)
			.bind(int(*window_secs, "report window")?)
			.bind(cost_scaled_uusd.to_string())
			.bind(used.map(|_| int(r.cru, "cru")).transpose()?)
			.bind(used.map(|_| int(r.sru, "sru")).transpose()?)
			.bind(used.map(|_| int(r.hru, "hru")).transpose()?)
			.bind(used.map(|_| int(r.mru, "mru")).transpose()?)
			.bind(time)
			.execute(&mut **tx)
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
				.execute(&mut **tx)
				.await?;
				if let Some(node_id) = node_id {
					touched_nodes.insert(node_id);
				}
			}
		}
		Change::ReportRejected { contract_id, reason } => {
			let id = int(*contract_id, "contract id")?;
			// Another node reported on a contract not its own: the event does not say which.
			let node_id = match *reason {
				"NotANodeContractOfThisNode" => None,
				_ => node_of(tx, id).await?,
			};
			sqlx::query(
				"INSERT INTO reports (block_number, event_index, contract_id, node_id, accepted, reason, time) VALUES ($1, $2, $3, $4, 0, $5, $6)",
			)
			.bind(number)
			.bind(index)
			.bind(id)
			.bind(node_id)
			.bind(*reason)
			.bind(time)
			.execute(&mut **tx)
			.await?;
		}
		Change::Billed { contract_id, amount, discount_level } => {
			let id = int(*contract_id, "contract id")?;
			let amount = int(*amount, "bill amount")?;
			let owner: Option<(i64, Option<i64>)> =
				sqlx::query_as("SELECT twin_id, node_id FROM contracts WHERE id = $1")
					.bind(id)
					.fetch_optional(&mut **tx)
					.await?;
			let (twin_id, node_id) = owner.unwrap_or((0, None));
			sqlx::query(
				"INSERT INTO bills (block_number, event_index, contract_id, twin_id, node_id, amount, discount_level, time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			)
			.bind(number)
			.bind(index)
			.bind(id)
			.bind(twin_id)
			.bind(node_id)
			.bind(amount)
			.bind(*discount_level)
			.bind(time)
			.execute(&mut **tx)
			.await?;
			sqlx::query("UPDATE contracts SET billed = billed + $2 WHERE id = $1")
				.bind(id)
				.bind(amount)
				.execute(&mut **tx)
				.await?;
		}
		Change::GraceStarted { contract_id, debt } => {
			let id = int(*contract_id, "contract id")?;
			sqlx::query(
				"UPDATE contracts SET state_before_grace = state, state = 'grace_period', updated_block = $2 WHERE id = $1",
			)
			.bind(id)
			.bind(number)
			.execute(&mut **tx)
			.await?;
			sqlx::query(
				"INSERT INTO grace_periods (contract_id, started_block, debt) VALUES ($1, $2, $3)",
			)
			.bind(id)
			.bind(number)
			.bind(int(*debt, "debt")?)
			.execute(&mut **tx)
			.await?;
			let detail = format!("debt {debt}");
			contract_event(tx, number, index, time, *contract_id, "grace_started", &detail).await?;
		}
		Change::GraceEnded { contract_id } => {
			let id = int(*contract_id, "contract id")?;
			sqlx::query(
				"UPDATE contracts SET state = COALESCE(state_before_grace, 'created'), state_before_grace = NULL, updated_block = $2 WHERE id = $1",
			)
			.bind(id)
			.bind(number)
			.execute(&mut **tx)
			.await?;
			sqlx::query(
				"UPDATE grace_periods SET ended_block = $2, ended_by = 'paid' WHERE contract_id = $1 AND ended_block IS NULL",
			)
			.bind(id)
			.bind(number)
			.execute(&mut **tx)
			.await?;
			contract_event(tx, number, index, time, *contract_id, "grace_ended", "").await?;
		}
		Change::Burned { amount } => {
			sqlx::query("INSERT INTO burns (block_number, event_index, amount, time) VALUES ($1, $2, $3, $4)")
				.bind(number)
				.bind(index)
				.bind(int(*amount, "burned amount")?)
				.bind(time)
				.execute(&mut **tx)
				.await?;
		}
		Change::Price { kind, price_musd } => {
			sqlx::query(
				"INSERT INTO prices (block_number, event_index, kind, price_musd, time) VALUES ($1, $2, $3, $4, $5)",
			)
			.bind(number)
			.bind(index)
			.bind(*kind)
			.bind(i64::from(*price_musd))
			.bind(time)
			.execute(&mut **tx)
			.await?;
		}
		// Written in bulk by `commit`.
		Change::Transfer { .. } => {}
	}
	Ok(())
}

async fn upsert_node(tx: &mut Tx<'_>, n: &Node, number: i64) -> Result<()> {
	sqlx::query(
		"INSERT INTO nodes (id, farm_id, twin_id, cru, sru, hru, mru, used_cru, used_sru, used_hru, used_mru, country, city, latitude, longitude, certified, deleted, created_block, updated_block) \
		 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, 0, $8, $9, $10, $11, $12, 0, $13, $13) \
		 ON CONFLICT (id) DO UPDATE SET farm_id = excluded.farm_id, twin_id = excluded.twin_id, cru = excluded.cru, sru = excluded.sru, hru = excluded.hru, mru = excluded.mru, \
		 country = excluded.country, city = excluded.city, latitude = excluded.latitude, longitude = excluded.longitude, certified = excluded.certified, updated_block = excluded.updated_block",
	)
	.bind(i64::from(n.id))
	.bind(i64::from(n.farm_id))
	.bind(i64::from(n.twin_id))
	.bind(int(n.resources.cru, "cru")?)
	.bind(int(n.resources.sru, "sru")?)
	.bind(int(n.resources.hru, "hru")?)
	.bind(int(n.resources.mru, "mru")?)
	.bind(&n.location.country)
	.bind(&n.location.city)
	.bind(&n.location.latitude)
	.bind(&n.location.longitude)
	.bind(i64::from(n.certified))
	.bind(number)
	.execute(&mut **tx)
	.await?;
	Ok(())
}

async fn insert_contract(
	tx: &mut Tx<'_>,
	c: &ContractRecord,
	number: i64,
	time: i64,
) -> Result<()> {
	sqlx::query(
		"INSERT INTO contracts (id, twin_id, kind, node_id, name, deployment_hash, version, state, deposit, public_ips, used_cru, used_sru, used_hru, used_mru, \
		 capacity_cru, capacity_sru, capacity_hru, capacity_mru, billed, created_block, created_time, updated_block) \
		 VALUES ($1, $2, $3, $4, $5, $6, 1, 'created', $7, $8, 0, 0, 0, 0, $11, $12, $13, $14, 0, $9, $10, $9)",
	)
	.bind(int(c.id, "contract id")?)
	.bind(i64::from(c.twin_id))
	.bind(c.kind)
	.bind(c.node_id.map(i64::from))
	.bind(c.name.clone())
	.bind(c.deployment_hash.clone())
	.bind(int(c.deposit, "deposit")?)
	.bind(i64::from(c.public_ips))
	.bind(number)
	.bind(time)
	.bind(int(c.capacity.cru, "cru")?)
	.bind(int(c.capacity.sru, "sru")?)
	.bind(int(c.capacity.hru, "hru")?)
	.bind(int(c.capacity.mru, "mru")?)
	.execute(&mut **tx)
	.await?;
	Ok(())
}

async fn set_state(tx: &mut Tx<'_>, id: u64, state: &str, number: i64) -> Result<()> {
	sqlx::query("UPDATE contracts SET state = $2, updated_block = $3 WHERE id = $1")
		.bind(int(id, "contract id")?)
		.bind(state)
		.bind(number)
		.execute(&mut **tx)
		.await?;
	Ok(())
}

async fn node_of(tx: &mut Tx<'_>, contract_id: i64) -> Result<Option<i64>> {
	let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT node_id FROM contracts WHERE id = $1")
		.bind(contract_id)
		.fetch_optional(&mut **tx)
		.await?;
	Ok(row.and_then(|(n,)| n))
}

async fn contract_event(
	tx: &mut Tx<'_>,
	number: i64,
	index: i64,
	time: i64,
	contract_id: u64,
	kind: &str,
	detail: &str,
) -> Result<()> {
	sqlx::query(
		"INSERT INTO contract_events (block_number, event_index, contract_id, kind, state, detail, time) \
		 SELECT $1, $2, $3, $4, COALESCE((SELECT state FROM contracts WHERE id = $3), 'deleted'), $5, $6",
	)
	.bind(number)
	.bind(index)
	.bind(int(contract_id, "contract id")?)
	.bind(kind)
	.bind(detail)
	.bind(time)
	.execute(&mut **tx)
	.await?;
	Ok(())
}
