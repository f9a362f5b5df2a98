//! The database: SQLite (a file, the default) or PostgreSQL, through sqlx's `Any` driver so that
//! one set of migrations and queries serves both.

mod apply;
mod error;

pub use error::{int, DbError, Result};

use crate::fetch::{BlockData, Change};
use apply::{
	apply, insert_bills, insert_blocks, insert_transfers, refresh_node_sums, BillRow, BlockRow,
	EventWrite, Placeholders, Statements, TransferRow,
};
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

impl Backend {
	/// Its name, as `/health` reports it.
	pub fn name(self) -> &'static str {
		match self {
			Backend::Sqlite => "sqlite",
			Backend::Postgres => "postgres",
		}
	}
}

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

	/// How blocks and transfers are inserted: on PostgreSQL 1,000 rows to a statement, a round
	/// trip each (6 parameters a row, well under its 65,535); on SQLite, in process, 500 rows with
	/// positional parameters (3,000, under its 32,766), which cost one call into the driver each
	/// instead of one a row.
	fn bulk_statements(&self) -> Statements {
		match self.backend {
			Backend::Postgres => (1000, Placeholders::Numbered),
			Backend::Sqlite => (500, Placeholders::Positional),
		}
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
		// Blocks, transfers and bills are most of a catch-up's rows: written many rows per
		// statement.
		let mut block_rows: Vec<BlockRow> = Vec::with_capacity(blocks.len());
		let mut transfers: Vec<TransferRow> = Vec::new();
		let mut bills: Vec<BillRow> = Vec::new();
		for (expected, block) in (first..).zip(blocks) {
			if i64::try_from(block.number).ok() != Some(expected) {
				return Err(DbError::Gap { last: expected - 1, got: block.number });
			}
			let number = int(block.number, "block number")?;
			let time = int(block.time, "block time")?;
			block_rows.push((number, &block.hash, time, int(block.events, "event count")?));
			for (index, change) in &block.changes {
				let index = i64::from(*index);
				if let Change::Transfer { from, to, amount } = change {
					let amount = int(*amount, "transfer amount")?;
					transfers.push((number, index, from.as_str(), to.as_str(), amount, time));
					continue;
				}
				if let Change::Billed { contract_id, amount, discount_level } = change {
					let contract_id = int(*contract_id, "contract id")?;
					let amount = int(*amount, "bill amount")?;
					bills.push((number, index, contract_id, amount, discount_level.as_str(), time));
					continue;
				}
				// Any other event may change or delete a contract a bill names: the bills first.
				insert_bills(&mut tx, &mut bills, self.bulk_statements()).await?;
				let mut write = EventWrite {
					tx: &mut tx,
					number,
					index,
					time,
					touched_nodes: &mut touched_nodes,
				};
				apply(&mut write, change).await?;
			}
		}
		insert_bills(&mut tx, &mut bills, self.bulk_statements()).await?;
		insert_blocks(&mut tx, &block_rows, self.bulk_statements()).await?;
		insert_transfers(&mut tx, &transfers, self.bulk_statements()).await?;
		for node_id in touched_nodes {
			refresh_node_sums(&mut tx, node_id).await?;
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

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn database_urls() {
		assert_eq!(
			database_url("grid.db").ok(),
			Some(("sqlite://grid.db?mode=rwc".into(), Backend::Sqlite))
		);
		assert_eq!(
			database_url("postgres://u@127.0.0.1:5432/grid").ok().map(|x| x.1),
			Some(Backend::Postgres)
		);
		assert!(database_url("mysql://x").is_err());
	}
}
