//! Query benchmark: how long the GraphQL API takes to answer a user's questions over a large grid,
//! on SQLite and on PostgreSQL.
//!
//! ```text
//! cargo bench -p grid-indexer --bench queries
//! ```
//!
//! It fills an empty database through the indexer's own write path with `GRID_BENCH_NODES` nodes
//! (default 10,000, in 20 countries), `GRID_BENCH_CONTRACTS` node contracts (default 100,000, of
//! 5,000 twins) and `GRID_BENCH_BILLS` bills per contract (default 2), then runs each query 200
//! times through the schema (parse, execute, SQL) and prints the median and the 99th percentile.

use gridchain_test_support::indexer as support;

use grid_indexer::{
	api,
	codes::{ContractKind, DiscountLevel},
	db::Db,
	fetch::{BlockData, Change, ContractRecord},
	sync::Status,
};
use gridchain_sdk::{Location, Node, Resources};
use std::{sync::Arc, time::Instant};

const COUNTRIES: [&str; 20] = [
	"BE", "NL", "DE", "FR", "US", "CA", "EG", "IN", "JP", "BR", "ES", "IT", "CH", "AT", "SE", "NO",
	"FI", "DK", "PL", "CZ",
];
const TWINS: u32 = 5_000;
const GIB: u64 = 1 << 30;

fn block(number: u64, time: u64, changes: Vec<Change>) -> BlockData {
	BlockData {
		number,
		hash: format!("0x{number:064x}"),
		time,
		events: changes.len() as u64,
		changes: changes.into_iter().enumerate().map(|(i, c)| (i as u32, c)).collect(),
	}
}

/// Blocks written through `Db::commit`, ten at a time.
struct Filler<'a> {
	db: &'a Db,
	number: u64,
	/// Unix seconds of the next block.
	time: u64,
	pending: Vec<BlockData>,
}

impl Filler<'_> {
	async fn push(&mut self, changes: Vec<Change>) {
		self.pending.push(block(self.number, self.time, changes));
		self.number += 1;
		self.time += 6;
		if self.pending.len() >= 10 {
			self.flush().await;
		}
	}

	async fn flush(&mut self) {
		self.db.commit(&self.pending).await.expect("commit");
		self.pending.clear();
	}
}

fn node(id: u32) -> Change {
	Change::Node(Node {
		id,
		farm_id: 1,
		twin_id: TWINS + id,
		resources: Resources {
			cru: 4 + u64::from(id % 29),
			mru: (8 + u64::from(id % 120)) * GIB,
			sru: 1000 * GIB,
			hru: 0,
		},
		location: Location {
			country: COUNTRIES[(id % 20) as usize].into(),
			city: format!("city-{}", id % 100),
			..Location::default()
		},
		certified: id.is_multiple_of(3),
	})
}

fn contract(id: u64, nodes: u32) -> [Change; 2] {
	let vm = Resources { cru: 1, mru: 2 * GIB, sru: 20 * GIB, hru: 0 };
	[
		Change::ContractCreated(ContractRecord {
			id,
			twin_id: (id % u64::from(TWINS)) as u32 + 1,
			kind: ContractKind::Node,
			node_id: Some((id % u64::from(nodes)) as u32 + 1),
			name: None,
			deployment_hash: Some(format!("0x{id:064x}")),
			public_ips: 0,
			deposit: 20_000_000,
			capacity: vm,
		}),
		Change::ReportAccepted {
			contract_id: id,
			timestamp: 1_795_000_000,
			window_secs: 3600,
			cost_scaled_uusd: 1_000_000_000_000,
			used: Some(vm),
		},
	]
}

async fn fill(db: &Db, nodes: u32, contracts: u32, bills: u32) {
	let mut filler = Filler { db, number: 0, time: 1_795_000_000, pending: Vec::new() };
	let farm = Change::Farm {
		id: 1,
		name: "farm".into(),
		twin_id: 1,
		pricing_policy_id: 1,
		dedicated: false,
	};
	filler.push(vec![farm]).await;
	let node_ids: Vec<u32> = (1..=nodes).collect();
	for chunk in node_ids.chunks(1000) {
		filler.push(chunk.iter().map(|&id| node(id)).collect()).await;
	}
	let contract_ids: Vec<u64> = (1..=u64::from(contracts)).collect();
	for chunk in contract_ids.chunks(1000) {
		filler.push(chunk.iter().flat_map(|&id| contract(id, nodes)).collect()).await;
	}
	for round in 0..u128::from(bills) {
		for chunk in contract_ids.chunks(1000) {
			let changes = chunk
				.iter()
				.map(|&id| Change::Billed {
					contract_id: id,
					amount: 1000 + u128::from(id % 7) + round,
					discount_level: DiscountLevel::Gold,
				})
				.collect();
			filler.push(changes).await;
		}
		// The next round a day later, so that bills per day has days to sum.
		filler.time += 86_400;
	}
	filler.flush().await;
}

async fn time(schema: &api::GridSchema, label: &str, query: &str) {
	let mut micros = Vec::with_capacity(200);
	for _ in 0..200 {
		let started = Instant::now();
		let response = schema.execute(query).await;
		micros.push(started.elapsed().as_micros() as u64);
		assert!(response.errors.is_empty(), "{label}: {:?}", response.errors);
	}
	micros.sort_unstable();
	println!(
		"  {label:<44} median {:>7.2} ms   p99 {:>7.2} ms",
		micros[micros.len() / 2] as f64 / 1000.0,
		micros[micros.len() * 99 / 100] as f64 / 1000.0
	);
}

#[tokio::main]
async fn main() {
	let nodes = support::env_num("GRID_BENCH_NODES", 10_000);
	let contracts = support::env_num("GRID_BENCH_CONTRACTS", 100_000);
	let bills = support::env_num("GRID_BENCH_BILLS", 2);
	let dir = tempfile::tempdir().expect("temp dir");
	let postgres = support::Postgres::start();
	let databases = [
		("sqlite", dir.path().join("queries.db").display().to_string()),
		("postgres", postgres.database("queries")),
	];
	for (label, database) in databases {
		let db = Db::connect(&database).await.expect("database");
		let started = Instant::now();
		fill(&db, nodes, contracts, bills).await;
		println!(
			"{label}: {nodes} nodes, {contracts} contracts, {} bills written in {:.1} s",
			u64::from(contracts) * u64::from(bills),
			started.elapsed().as_secs_f64()
		);
		let schema = api::schema(db.clone(), Arc::new(Status::default()));
		let contract = contracts / 2;
		let twin = TWINS / 2;
		time(&schema, "bills of a contract, with total", &format!("{{ bills(filter: {{ contractId: {contract} }}) {{ totalAmount items {{ amount time }} }} }}")).await;
		time(
			&schema,
			"bills of a twin per day",
			&format!("{{ billsPerDay(filter: {{ twinId: {twin} }}) {{ day amount bills }} }}"),
		)
		.await;
		time(&schema, "contracts of a twin", &format!("{{ contracts(filter: {{ twinId: {twin} }}) {{ totalCount items {{ id state nodeId billed }} }} }}")).await;
		time(&schema, "node search: country, free cru and mru", "{ nodes(filter: { country: \"BE\", freeCru: 8, freeMru: 34359738368 }, first: 50) { totalCount items { id city free { cru mru } } } }").await;
		time(&schema, "node search: certified, free cru, page 3", "{ nodes(filter: { certified: true, freeCru: 16 }, first: 50, offset: 100) { totalCount items { id } } }").await;
		time(
			&schema,
			"one node",
			&format!("{{ node(id: {}) {{ id country free {{ cru }} freeIps }} }}", nodes / 2),
		)
		.await;
		db.pool.close().await;
	}
}
