//! Catch-up benchmark: blocks and events per second of `grid-indexer` indexing a chain of at least
//! 100,000 events from genesis, into SQLite and into PostgreSQL.
//!
//! ```text
//! cargo bench -p grid-indexer --bench catchup
//! ```
//!
//! It starts its own `gridchain-node --dev --tmp --sealing manual --state-pruning archive`
//! (`GRIDCHAIN_NODE`, else the workspace's release or debug build), fills it with
//! `GRID_BENCH_BATCHES` blocks (default 100) of a `Utility.batch_all` of `GRID_BENCH_BATCH_SIZE`
//! transfers to new accounts (default 250: 4 events each, so 100,000 events), between
//! `GRID_BENCH_EMPTY` empty blocks (default 400), then runs the indexer's follower in this process
//! until it has committed the head, once per database, from an empty database each time.

use gridchain_test_support::indexer as support;

use grid_indexer::{
	db::Db,
	sync::{follow, Status, SyncOptions},
};
use gridchain_sdk::{chain, Client, Identity};
use std::{
	path::PathBuf,
	process::{Command, Stdio},
	sync::{atomic::Ordering, Arc},
	time::{Duration, Instant},
};
use subxt::utils::MultiAddress;

fn node_binary() -> PathBuf {
	if let Some(path) = std::env::var_os("GRIDCHAIN_NODE") {
		return PathBuf::from(path);
	}
	let exe = std::env::current_exe().expect("bench path");
	let target = exe.ancestors().nth(3).expect("target dir").to_path_buf();
	["release", "debug"]
		.iter()
		.map(|p| target.join(p).join("gridchain-node"))
		.find(|p| p.exists())
		.expect(
			"gridchain-node is built (cargo build -p gridchain-node) or GRIDCHAIN_NODE names it",
		)
}

#[tokio::main]
async fn main() {
	let batches = support::env_num("GRID_BENCH_BATCHES", 100);
	let batch_size = support::env_num("GRID_BENCH_BATCH_SIZE", 250);
	let empty = support::env_num("GRID_BENCH_EMPTY", 400);

	let dir = tempfile::tempdir().expect("temp dir");
	let port = support::free_port();
	let node = node_binary();
	let mut child = Command::new(&node)
		.args(["--dev", "--tmp", "--sealing", "manual", "--state-pruning", "archive"])
		.args(["--rpc-port", &port.to_string(), "--listen-addr", "/ip4/127.0.0.1/tcp/0"])
		.args(["--no-prometheus", "--no-telemetry", "--no-mdns"])
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.expect("gridchain-node starts");
	let url = format!("ws://127.0.0.1:{port}");
	let deadline = Instant::now() + Duration::from_secs(120);
	let client = loop {
		if let Ok(c) = Client::connect(&url).await {
			break c;
		}
		assert!(Instant::now() < deadline, "the node never answered");
		tokio::time::sleep(Duration::from_millis(300)).await;
	};
	println!("node: {}", node.display());

	// Load: batches of transfers to new accounts, spread between empty blocks.
	let started = Instant::now();
	let alice = Identity::from_uri("//Alice").expect("alice");
	let signer = alice.keypair();
	let mut nonce = client.next_nonce(&alice.account_id()).await.expect("nonce");
	let empty_per_batch = empty.checked_div(batches).unwrap_or(empty);
	let mut account = 0u32;
	for _ in 0..batches {
		let calls = (0..batch_size)
			.map(|_| {
				account += 1;
				let mut raw = [0u8; 32];
				raw[..4].copy_from_slice(&account.to_le_bytes());
				raw[4] = 0xbe;
				chain::Call::Balances(
					chain::runtime_types::pallet_balances::pallet::Call::transfer_allow_death {
						dest: MultiAddress::Id(subxt::utils::AccountId32(raw)),
						value: 1_000_000,
					},
				)
			})
			.collect();
		let call = chain::tx().utility().batch_all(calls);
		let params = subxt::config::DefaultExtrinsicParamsBuilder::<gridchain_sdk::Config>::new()
			.nonce(nonce)
			.build();
		let at = client.at().await.expect("at");
		at.tx().sign_and_submit(&call, signer, params).await.expect("batch submitted");
		nonce += 1;
		support::create_block(&client).await;
		for _ in 0..empty_per_batch {
			support::create_block(&client).await;
		}
	}
	let head = loop {
		let finalized = client.finalized_number().await.expect("head");
		if finalized >= support::best_number(&client).await {
			break finalized;
		}
		tokio::time::sleep(Duration::from_millis(50)).await;
	};
	println!("chain: {head} blocks made in {:.1} s", started.elapsed().as_secs_f64());

	let postgres = support::Postgres::start();
	let databases = [
		("sqlite", dir.path().join("bench.db").display().to_string()),
		("postgres", postgres.database("bench")),
	];
	for (label, database) in databases {
		let db = Db::connect(&database).await.expect("database");
		let status = Arc::new(Status::default());
		let (stop, stopped) = tokio::sync::watch::channel(false);
		let started = Instant::now();
		let follower = tokio::spawn(follow(
			url.clone(),
			db.clone(),
			status.clone(),
			SyncOptions::default(),
			stopped,
		));
		while status.indexed.load(Ordering::Relaxed) < head as i64 {
			assert!(!follower.is_finished(), "the follower stopped");
			tokio::time::sleep(Duration::from_millis(5)).await;
		}
		let secs = started.elapsed().as_secs_f64();
		let _ = stop.send(true);
		let _ = follower.await;
		let events = status.events.load(Ordering::Relaxed);
		let (transfers,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM transfers")
			.fetch_one(&db.pool)
			.await
			.expect("count");
		println!(
			"{label:>8}: {} blocks, {events} events ({transfers} transfers) in {secs:.2} s = {:.0} blocks/s, {:.0} events/s; {:.2} s in commits",
			head + 1,
			(head + 1) as f64 / secs,
			events as f64 / secs,
			status.commit_micros.load(Ordering::Relaxed) as f64 / 1e6,
		);
		let secs_of = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed) as f64 / 1e6;
		let calls = status.rpc_calls.load(Ordering::Relaxed);
		println!(
			"{:>8}  profile: the follower waited {:.2} s for blocks and {:.2} s for writes; \
			 {calls} calls to the node ({:.1} per block) answered in {:.2} s summed ({:.2} s of them \
			 finding the blocks); decoding {:.2} s",
			"",
			secs_of(&status.read_wait_micros),
			secs_of(&status.write_wait_micros),
			calls as f64 / (head + 1) as f64,
			secs_of(&status.rpc_micros),
			secs_of(&status.at_block_micros),
			secs_of(&status.decode_micros),
		);
		db.pool.close().await;
	}
	let _ = child.kill();
	let _ = child.wait();
}
