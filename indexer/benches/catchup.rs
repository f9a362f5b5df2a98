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
//! until it has committed the head, once per database, from an empty database each time
//! (`GRID_BENCH_RUNS` times each on the same chain; `GRID_BENCH_DATABASES=sqlite` or `postgres` for
//! one of them; `GRID_BENCH_BATCHES=0` for `GRID_BENCH_EMPTY` typical blocks alone). Beside the
//! rates it prints the follower's profile and the CPU the node, this process and the rest of the
//! machine used meanwhile.

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

/// CPU seconds used so far by the node, by this process (the indexer), and by the whole machine.
struct Cpu {
	node: f64,
	indexer: f64,
	machine: f64,
}

/// `/proc`'s clock ticks per second (`USER_HZ`, 100 on Linux).
const TICKS: f64 = 100.0;

impl Cpu {
	fn now(node: u32) -> Cpu {
		let process = |pid: &str| {
			let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
			// utime and stime: the 14th and 15th fields, the 12th and 13th after the command.
			let fields: Vec<&str> =
				stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
			let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
			(ticks(11) + ticks(12)) / TICKS
		};
		let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
		let cpu: Vec<f64> = stat
			.lines()
			.next()
			.unwrap_or("")
			.split_whitespace()
			.skip(1)
			.map(|v| v.parse().unwrap_or(0.0))
			.collect();
		// Everything but idle (4th) and iowait (5th), guests being counted in user already.
		let busy: f64 = cpu
			.iter()
			.take(8)
			.enumerate()
			.filter(|(i, _)| *i != 3 && *i != 4)
			.map(|(_, v)| v)
			.sum();
		Cpu { node: process(&node.to_string()), indexer: process("self"), machine: busy / TICKS }
	}

	fn since(&self, before: &Cpu) -> Cpu {
		Cpu {
			node: self.node - before.node,
			indexer: self.indexer - before.indexer,
			machine: self.machine - before.machine,
		}
	}
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
	let empty_per_batch = empty.checked_div(batches).unwrap_or(0);
	if batches == 0 {
		// Typical blocks only: the timestamp and nothing else.
		for _ in 0..empty {
			support::create_block(&client).await;
		}
	}
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

	let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
	let postgres = support::Postgres::start();
	let runs = support::env_num("GRID_BENCH_RUNS", 1);
	let mut databases = Vec::new();
	for run in 0..runs {
		databases.push(("sqlite", dir.path().join(format!("bench{run}.db")).display().to_string()));
		databases.push(("postgres", postgres.database(&format!("bench{run}"))));
	}
	let only = std::env::var("GRID_BENCH_DATABASES").unwrap_or_default();
	databases.retain(|(label, _)| only.is_empty() || only.contains(label));
	for (label, database) in databases {
		let db = Db::connect(&database).await.expect("database");
		let status = Arc::new(Status::default());
		let (stop, stopped) = tokio::sync::watch::channel(false);
		let cpu_before = Cpu::now(child.id());
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
		let cpu = Cpu::now(child.id()).since(&cpu_before);
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
		println!(
			"{:>8}  CPU: the node {:.2} s, the indexer {:.2} s, the rest of the machine {:.2} s \
			 (PostgreSQL's server on its run) of {:.2} s on {} cores",
			"",
			cpu.node,
			cpu.indexer,
			(cpu.machine - cpu.node - cpu.indexer).max(0.0),
			secs * cores as f64,
			cores,
		);
		db.pool.close().await;
	}
	let _ = child.kill();
	let _ = child.wait();
}
