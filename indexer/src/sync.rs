//! Following the chain: catch up on finalized blocks with many reads in flight, commit them in
//! batches (data and cursor in one transaction), then follow new finalized blocks.

pub use crate::status::Status;

use crate::{
	db::{self, Db},
	fetch::{fetch_block, BlockData, FetchTiming},
};
use futures::{FutureExt, StreamExt, TryStreamExt};
use gridchain_sdk::{Client, Config};
use std::{
	sync::{atomic::Ordering, Arc},
	time::{Duration, Instant},
};
use subxt::{
	config::{polkadot::PolkadotConfigBuilder, substrate::SpecVersionForRange},
	rpcs::rpc_params,
	utils::H256,
	OnlineClient,
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
		let reader = reader_for(client, next, head).await.map_err(Failure::Chain)?;
		let reader = reader.unwrap_or_else(|| api.clone());
		// Owned clones in the closures: a borrow there makes the follower's future not `Send`.
		let hasher = client.clone();
		let rpc = client.rpc().clone();
		let blocks = futures::stream::iter((next..=head).step_by(HASHES_PER_CALL as usize))
			.then(move |from| {
				let client = hasher.clone();
				async move { block_hashes(&client, from, head).await }
			})
			.map_ok(|hashes| futures::stream::iter(hashes.into_iter().map(anyhow::Ok)))
			.try_flatten()
			.map(move |found| {
				let (reader, rpc) = (reader.clone(), rpc.clone());
				let fetch = async move {
					let (number, hash) = found?;
					fetch_block(&reader, &rpc, number, hash).await
				};
				// A task of its own, so that blocks are decoded on every core; cancelled when
				// the stream is dropped.
				let (fetch, fetched) = fetch.remote_handle();
				tokio::spawn(fetch);
				fetched
			})
			.buffered(options.concurrency.max(1));
		let mut blocks = std::pin::pin!(blocks);
		let mut batch = Vec::with_capacity(options.batch_blocks);
		let mut batch_events = 0u64;
		let mut since = Instant::now();
		// One batch is written while the next is read; a write always ends before the cursor is
		// read again, so no block is read twice.
		let mut writing: Option<tokio::task::JoinHandle<db::Result<()>>> = None;
		let mut read_all = false;
		loop {
			let stop = *shutdown.borrow();
			if writing.is_none()
				&& !batch.is_empty()
				&& (read_all
					|| stop || batch.len() >= options.batch_blocks
					|| batch_events >= BATCH_EVENTS
					|| since.elapsed() >= Duration::from_secs(1))
			{
				let full = std::mem::replace(&mut batch, Vec::with_capacity(options.batch_blocks));
				batch_events = 0;
				let (db, status) = (db.clone(), status.clone());
				writing = Some(tokio::spawn(async move { commit(&db, &status, &full).await }));
				since = Instant::now();
			}
			if (read_all || stop) && batch.is_empty() && writing.is_none() {
				break;
			}
			// Reading goes on while a batch is written, until the next batch is full too.
			let full = batch.len() >= options.batch_blocks.max(1);
			let waiting = Instant::now();
			let reading = !full && !read_all && !stop;
			tokio::select! {
				biased;
				written = written(&mut writing) => {
					writing = None;
					// Waiting with reading paused is waiting for the write; otherwise for blocks.
					let wait =
						if reading { &status.read_wait_micros } else { &status.write_wait_micros };
					add_micros(wait, waiting.elapsed());
					let written = written.map_err(|e| db::DbError::Writer(e.to_string()));
					written.and_then(|result| result).map_err(Failure::Database)?;
				}
				block = blocks.next(), if reading => {
					add_micros(&status.read_wait_micros, waiting.elapsed());
					match block.transpose() {
						Ok(Some((block, timing))) => {
							// A new runtime from the next block on: read on with a reader for it.
							read_all |= timing.code_updated;
							count_fetch(status, &timing);
							batch_events += block.events;
							batch.push(block);
						}
						Ok(None) => read_all = true,
						Err(e) => {
							finish(writing.take()).await?;
							return Err(Failure::Chain(e));
						}
					}
				}
			}
		}
	}
}

/// Events in a batch, at most: while catching up, a batch of busy blocks is written while the next
/// is read, instead of 500 of them at the end.
const BATCH_EVENTS: u64 = 10_000;

/// Block hashes asked for in one call.
const HASHES_PER_CALL: u64 = 256;

/// The hashes of the finalized blocks `from..=min(from + 255, last)`, in one call
/// (`chain_getBlockHash` takes a list of numbers).
async fn block_hashes(client: &Client, from: u64, last: u64) -> anyhow::Result<Vec<(u64, H256)>> {
	let to = from.saturating_add(HASHES_PER_CALL - 1).min(last);
	let numbers: Vec<u64> = (from..=to).collect();
	let hashes: Vec<Option<H256>> =
		client.rpc().request("chain_getBlockHash", rpc_params![numbers]).await?;
	if hashes.len() != (from..=to).count() {
		anyhow::bail!("the node answered {} hashes for blocks {from}..={to}", hashes.len());
	}
	(from..=to)
		.zip(hashes)
		.map(|(number, hash)| match hash {
			Some(hash) => Ok((number, hash)),
			None => Err(anyhow::anyhow!("the node has no block {number}")),
		})
		.collect()
}

/// Ranges shorter than this (following the chain block by block) are read with the shared client.
const RANGE_READER_BLOCKS: u64 = 64;

/// A client that knows, for every block of `first..=last`, the runtime that made it, so that
/// reading a block costs no runtime call (`Core_version`) on the node: when both ends were made by
/// the same runtime version, every block between was too, since frame-system takes a new runtime
/// only with a higher spec version. A runtime set without that check (`set_code_without_checks`)
/// emits `System.CodeUpdated`, which [`fetch_block`] reports, and the follower then reads on from
/// the next block with a reader made for it. `None` (use the shared client) for a short range or
/// two versions.
async fn reader_for(
	client: &Client,
	first: u64,
	last: u64,
) -> anyhow::Result<Option<OnlineClient<Config>>> {
	if last.saturating_sub(first).saturating_add(1) < RANGE_READER_BLOCKS {
		return Ok(None);
	}
	let api = client.api();
	let (start, end) = (api.at_block(first).await?, api.at_block(last).await?);
	let version = (start.spec_version(), start.transaction_version());
	if version != (end.spec_version(), end.transaction_version()) {
		return Ok(None);
	}
	let config = PolkadotConfigBuilder::new()
		.use_historic_types(false)
		.set_spec_version_for_block_ranges([SpecVersionForRange {
			block_range: first..last.saturating_add(1),
			spec_version: version.0,
			transaction_version: version.1,
		}])
		.set_metadata_for_spec_versions([(version.0, start.metadata())])
		.build();
	Ok(Some(OnlineClient::from_rpc_client_with_config(config, client.rpc().clone()).await?))
}

fn add_micros(counter: &std::sync::atomic::AtomicU64, took: Duration) {
	let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
	counter.fetch_add(micros, Ordering::Relaxed);
}

/// Add a block's reading to the profile.
fn count_fetch(status: &Status, timing: &FetchTiming) {
	add_micros(&status.rpc_micros, timing.rpc);
	add_micros(&status.at_block_micros, timing.at_block);
	add_micros(&status.decode_micros, timing.decode);
	status.rpc_calls.fetch_add(u64::from(timing.rpc_calls), Ordering::Relaxed);
}

/// The batch being written, once written; never, when none is.
async fn written(
	writing: &mut Option<tokio::task::JoinHandle<db::Result<()>>>,
) -> Result<db::Result<()>, tokio::task::JoinError> {
	match writing {
		Some(handle) => handle.await,
		None => std::future::pending().await,
	}
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
