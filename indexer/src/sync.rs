//! Following the chain: catch up on finalized blocks with many reads in flight, commit them in
//! batches (data and cursor in one transaction), then follow new finalized blocks.

pub use crate::status::Status;

use crate::{
	db::{self, Db},
	fetch::{fetch_block, BlockData},
};
use futures::StreamExt;
use gridchain_sdk::Client;
use std::{
	sync::{atomic::Ordering, Arc},
	time::{Duration, Instant},
};
use tokio::sync::watch;

/// How the follower works.
#[derive(Debug, Clone)]
pub struct SyncOptions {
	/// Blocks read from the node at the same time.
	pub concurrency: usize,
	/// Blocks per database transaction, at most.
	pub batch_blocks: usize,
	/// How often to ask for a new finalized head once caught up.
	pub poll: Duration,
}

impl Default for SyncOptions {
	fn default() -> Self {
		SyncOptions { concurrency: 32, batch_blocks: 500, poll: Duration::from_millis(500) }
	}
}

/// Follow the chain at `url` into `db` until `shutdown` turns true. Lost connections to the node or
/// the database are retried with a growing pause (a commit is atomic, so a retry repeats nothing);
/// the pause starts again short once a batch is committed. Another chain's database, a pruning
/// node, or data the database cannot hold end the follower.
pub async fn follow(
	url: String,
	db: Db,
	status: Arc<Status>,
	options: SyncOptions,
	mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
	if let Some((number, _)) = db.cursor().await? {
		status.indexed.store(number, Ordering::Relaxed);
	}
	let mut backoff = Duration::from_millis(250);
	while !*shutdown.borrow() {
		let client = match Client::connect(&url).await {
			Ok(client) => client,
			Err(e) => {
				status.chain_errors.fetch_add(1, Ordering::Relaxed);
				tracing::warn!("{e}; retrying in {backoff:?}");
				wait_or_shutdown(&mut shutdown, backoff).await;
				backoff = (backoff * 2).min(Duration::from_secs(10));
				continue;
			}
		};
		let indexed_before = status.indexed.load(Ordering::Relaxed);
		let result = run(&client, &db, &status, &options, &mut shutdown).await;
		if status.indexed.load(Ordering::Relaxed) != indexed_before {
			backoff = Duration::from_millis(250);
		}
		match result {
			Ok(()) => return Ok(()),
			Err(Failure::Database(db::DbError::Sql(e))) if transient(&e) => {
				tracing::warn!("database: {e}; retrying in {backoff:?}");
				wait_or_shutdown(&mut shutdown, backoff).await;
				backoff = (backoff * 2).min(Duration::from_secs(10));
			}
			Err(Failure::Database(e)) => return Err(e.into()),
			Err(Failure::OtherChain(message)) => anyhow::bail!(message),
			Err(Failure::Chain(e)) if format!("{e:#}").contains("State already discarded") => {
				anyhow::bail!(
					"the node at {url} has pruned old blocks' state, which the indexer reads: \
					 index from an archive node (`gridchain-node --state-pruning archive`): {e:#}"
				);
			}
			Err(Failure::Chain(e)) => {
				status.chain_errors.fetch_add(1, Ordering::Relaxed);
				tracing::warn!("reading the chain: {e:#}; reconnecting in {backoff:?}");
				wait_or_shutdown(&mut shutdown, backoff).await;
				backoff = (backoff * 2).min(Duration::from_secs(10));
			}
		}
	}
	Ok(())
}

/// A database error that a later try may not meet: the connection, the pool, the server's I/O.
fn transient(e: &sqlx::Error) -> bool {
	matches!(
		e,
		sqlx::Error::Io(_)
			| sqlx::Error::PoolTimedOut
			| sqlx::Error::PoolClosed
			| sqlx::Error::WorkerCrashed
	) || matches!(e, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")))
}

enum Failure {
	Chain(anyhow::Error),
	Database(db::DbError),
	/// The database holds another chain's blocks.
	OtherChain(String),
}

/// Block `number` of the database is the node's block of that number: otherwise the database was
/// filled from another chain (a `--tmp` dev chain restarted, another network).
async fn same_chain(client: &Client, number: i64, hash: &str) -> Result<(), Failure> {
	let Ok(number) = u64::try_from(number) else { return Ok(()) };
	let at = client.api().at_block(number).await.map_err(|e| Failure::Chain(e.into()))?;
	let on_chain = format!("{:?}", at.block_hash());
	if on_chain != hash {
		return Err(Failure::OtherChain(format!(
			"the database was indexed from another chain: its block {number} is {hash}, the node's is {on_chain}; \
			 index into a new --database"
		)));
	}
	Ok(())
}

async fn wait_or_shutdown(shutdown: &mut watch::Receiver<bool>, pause: Duration) {
	let _ = tokio::time::timeout(pause, shutdown.changed()).await;
}

async fn run(
	client: &Client,
	db: &Db,
	status: &Arc<Status>,
	options: &SyncOptions,
	shutdown: &mut watch::Receiver<bool>,
) -> Result<(), Failure> {
	let api = client.api();
	let mut warned_behind = None;
	// The newest block both have must be the same block; once the node has the database's last
	// block and it matches, this connection is on the right chain.
	let mut verified = false;
	loop {
		if *shutdown.borrow() {
			return Ok(());
		}
		let head = client.finalized_number().await.map_err(|e| Failure::Chain(e.into()))?;
		status.finalized.store(head as i64, Ordering::Relaxed);
		let cursor = db.cursor().await.map_err(Failure::Database)?;
		if !verified {
			verified = match &cursor {
				Some((number, _)) => {
					let common = (*number).min(head as i64);
					if let Some(hash) = db.block_hash(common).await.map_err(Failure::Database)? {
						same_chain(client, common, &hash).await?;
					}
					common == *number
				}
				None => true,
			};
		}
		let next = cursor.map(|(n, _)| n + 1).unwrap_or(0);
		let next = u64::try_from(next).unwrap_or(0);
		if next > head {
			if next > head + 1 && warned_behind != Some(head) {
				tracing::warn!(
					"the node's finalized head {head} is behind the database's {}: waiting",
					next - 1
				);
				warned_behind = Some(head);
			}
			wait_or_shutdown(shutdown, options.poll).await;
			continue;
		}
		tracing::debug!("indexing blocks {next}..={head}");
		let mut blocks = futures::stream::iter(next..=head)
			.map(|n| fetch_block(api, n))
			.buffered(options.concurrency.max(1));
		let mut batch = Vec::with_capacity(options.batch_blocks);
		let mut since = Instant::now();
		// One batch is written while the next is read; a write always ends before the cursor is
		// read again, so no block is read twice.
		let mut writing: Option<tokio::task::JoinHandle<db::Result<()>>> = None;
		loop {
			let waiting = Instant::now();
			let block = match blocks.next().await.transpose() {
				Ok(block) => block,
				Err(e) => {
					finish(writing.take()).await?;
					return Err(Failure::Chain(e));
				}
			};
			add_micros(&status.read_wait_micros, waiting.elapsed());
			let done = block.is_none();
			if let Some((block, timing)) = block {
				add_micros(&status.rpc_micros, timing.rpc);
				add_micros(&status.at_block_micros, timing.at_block);
				add_micros(&status.decode_micros, timing.decode);
				status.rpc_calls.fetch_add(u64::from(timing.rpc_calls), Ordering::Relaxed);
				batch.push(block);
			}
			let stop = *shutdown.borrow();
			if !batch.is_empty()
				&& (done
					|| stop || batch.len() >= options.batch_blocks
					|| since.elapsed() >= Duration::from_secs(1))
			{
				let waiting = Instant::now();
				finish(writing.take()).await?;
				add_micros(&status.write_wait_micros, waiting.elapsed());
				let full = std::mem::replace(&mut batch, Vec::with_capacity(options.batch_blocks));
				let (db, status) = (db.clone(), status.clone());
				writing = Some(tokio::spawn(async move { commit(&db, &status, &full).await }));
				since = Instant::now();
			}
			if done || stop {
				finish(writing.take()).await?;
				break;
			}
		}
	}
}

fn add_micros(counter: &std::sync::atomic::AtomicU64, took: Duration) {
	let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
	counter.fetch_add(micros, Ordering::Relaxed);
}

/// Wait for a batch being written.
async fn finish(writing: Option<tokio::task::JoinHandle<db::Result<()>>>) -> Result<(), Failure> {
	let Some(writing) = writing else { return Ok(()) };
	match writing.await {
		Ok(result) => result.map_err(Failure::Database),
		Err(e) => Err(Failure::Database(db::DbError::Writer(e.to_string()))),
	}
}

async fn commit(db: &Db, status: &Status, batch: &[BlockData]) -> db::Result<()> {
	let started = Instant::now();
	db.commit(batch).await?;
	let took = started.elapsed();
	let events: u64 = batch.iter().map(|b| b.events).sum();
	if let Some(last) = batch.last() {
		status.indexed.store(last.number as i64, Ordering::Relaxed);
		tracing::info!(
			"indexed up to block {} ({} blocks, {events} events, written in {} ms; since start: \
			 waited {} ms for blocks and {} ms for writes)",
			last.number,
			batch.len(),
			took.as_millis(),
			status.read_wait_micros.load(Ordering::Relaxed) / 1000,
			status.write_wait_micros.load(Ordering::Relaxed) / 1000,
		);
	}
	status.blocks.fetch_add(batch.len() as u64, Ordering::Relaxed);
	status.events.fetch_add(events, Ordering::Relaxed);
	status.batches.fetch_add(1, Ordering::Relaxed);
	add_micros(&status.commit_micros, took);
	Ok(())
}
