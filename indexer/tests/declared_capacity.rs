//! A node's free capacity in the indexer is the chain's rule (SPEC §4.5): its resources minus the
//! declared capacity of its live node contracts, on SQLite and on PostgreSQL, through the
//! indexer's own write path and GraphQL schema (no chain needed). And bills, which that write path
//! writes in bulk, each with its contract's twin and node.

use gridchain_test_support::indexer as support;

use grid_indexer::{
	api,
	codes::{CancelCause, ContractKind, DiscountLevel},
	db::Db,
	fetch::{BlockData, Change, ContractRecord},
	sync::Status,
};
use gridchain_sdk::{Location, Node, Resources};
use serde_json::Value;
use std::sync::Arc;

const GIB: u64 = 1 << 30;
const NODE: Resources = Resources { cru: 8, sru: 1000 * GIB, hru: 2000 * GIB, mru: 32 * GIB };

/// Writes one block per call, following the last.
struct Chain<'a> {
	db: &'a Db,
	number: u64,
}

impl Chain<'_> {
	async fn block(&mut self, changes: Vec<Change>) {
		let block = BlockData {
			number: self.number,
			hash: format!("0x{:064x}", self.number),
			time: 1_795_000_000 + 6 * self.number,
			events: changes.len() as u64,
			changes: changes.into_iter().enumerate().map(|(i, c)| (i as u32, c)).collect(),
		};
		self.db.commit(&[block]).await.expect("commit");
		self.number += 1;
	}
}

fn node(id: u32) -> Change {
	Change::Node(Node {
		id,
		farm_id: 1,
		twin_id: 10 + id,
		resources: NODE,
		location: Location { country: "BE".into(), ..Location::default() },
		certified: false,
	})
}

fn node_contract(id: u64, node_id: u32, capacity: Resources) -> Change {
	Change::ContractCreated(ContractRecord {
		id,
		twin_id: 1,
		kind: ContractKind::Node,
		node_id: Some(node_id),
		name: None,
		deployment_hash: Some(format!("0x{id:064x}")),
		public_ips: 0,
		deposit: 10_000_000,
		capacity,
	})
}

fn capacity_of(v: &Value) -> Resources {
	let field = |name: &str| v[name].as_u64().unwrap_or_else(|| panic!("{name} of {v}"));
	Resources { cru: field("cru"), sru: field("sru"), hru: field("hru"), mru: field("mru") }
}

fn minus(a: Resources, b: Resources) -> Resources {
	Resources { cru: a.cru - b.cru, sru: a.sru - b.sru, hru: a.hru - b.hru, mru: a.mru - b.mru }
}

async fn query(schema: &api::GridSchema, q: &str) -> Value {
	let response = schema.execute(q).await;
	assert!(response.errors.is_empty(), "{q}: {:?}", response.errors);
	response.data.into_json().expect("JSON")
}

/// Node 1's free capacity, and whether searching for `at_least` free finds it.
async fn free_of_node_1(schema: &api::GridSchema, at_least: Resources) -> (Resources, bool) {
	let q = format!(
		"{{ node(id: 1) {{ free {{ cru sru hru mru }} }} \
		 nodes(filter: {{ freeCru: {}, freeSru: {}, freeHru: {}, freeMru: {} }}) {{ items {{ id }} }} }}",
		at_least.cru, at_least.sru, at_least.hru, at_least.mru
	);
	let answer = query(schema, &q).await;
	let found = answer["nodes"]["items"].as_array().expect("nodes").iter().any(|n| n["id"] == 1);
	(capacity_of(&answer["node"]["free"]), found)
}

async fn databases() -> (tempfile::TempDir, support::Postgres, [(&'static str, String); 2]) {
	let dir = tempfile::tempdir().expect("temp dir");
	let postgres = support::Postgres::start();
	let sqlite = dir.path().join("grid.db").display().to_string();
	let pg = postgres.database("grid");
	(dir, postgres, [("sqlite", sqlite), ("postgres", pg)])
}

#[tokio::test(flavor = "multi_thread")]
async fn free_capacity_is_resources_minus_what_live_node_contracts_declare() {
	let (_dir, _postgres, databases) = databases().await;
	for (label, database) in databases {
		let db = Db::connect(&database).await.expect("database");
		let schema = api::schema(db.clone(), Arc::new(Status::default()));
		let mut chain = Chain { db: &db, number: 0 };
		chain.block(vec![node(1), node(2)]).await;
		assert_eq!(free_of_node_1(&schema, NODE).await, (NODE, true), "{label}: nothing declared");

		let vm = Resources { cru: 2, sru: 60 * GIB, hru: 0, mru: 4 * GIB };
		let disk = Resources { cru: 0, sru: 0, hru: 500 * GIB, mru: 0 };
		chain.block(vec![node_contract(1, 1, vm), node_contract(2, 1, disk)]).await;
		// Another node's contract takes nothing from node 1.
		chain.block(vec![node_contract(3, 2, vm)]).await;
		let taken = Resources { hru: disk.hru, ..vm };
		let free = minus(NODE, taken);
		assert_eq!(free_of_node_1(&schema, free).await, (free, true), "{label}: created");
		let one_more = Resources { cru: free.cru + 1, ..free };
		assert!(!free_of_node_1(&schema, one_more).await.1, "{label}: no more than free");

		// A report says what the node measures; free does not follow it.
		chain
			.block(vec![Change::ReportAccepted {
				contract_id: 1,
				timestamp: 1_795_000_100,
				window_secs: 60,
				cost_scaled_uusd: 1,
				used: Some(Resources { cru: 1, sru: 0, hru: 0, mru: GIB }),
			}])
			.await;
		assert_eq!(free_of_node_1(&schema, free).await, (free, true), "{label}: reported");
		let node =
			query(&schema, "{ node(id: 1) { declared { cru sru hru mru } used { cru mru } } }")
				.await;
		assert_eq!(capacity_of(&node["node"]["declared"]), taken, "{label}: declared");
		assert_eq!(node["node"]["used"]["cru"], 1, "{label}: the report");

		// An update declares anew, larger or smaller.
		let grown = Resources { cru: 6, ..vm };
		chain
			.block(vec![Change::ContractUpdated {
				id: 1,
				version: 2,
				deployment_hash: Some(format!("0x{:064x}", 11)),
				deposit: Some(10_000_000),
				capacity: grown,
			}])
			.await;
		let free = minus(NODE, Resources { hru: disk.hru, ..grown });
		assert_eq!(free_of_node_1(&schema, free).await, (free, true), "{label}: grown");
		let contract = query(&schema, "{ contract(id: 1) { capacity { cru sru hru mru } } }").await;
		assert_eq!(capacity_of(&contract["contract"]["capacity"]), grown, "{label}");

		// A cancelled contract declares nothing any more.
		chain
			.block(vec![Change::ContractCanceled {
				id: 1,
				cause: CancelCause::CanceledByUser,
				unpaid: 0,
			}])
			.await;
		let free = minus(NODE, disk);
		assert_eq!(free_of_node_1(&schema, free).await, (free, true), "{label}: canceled");
		chain
			.block(vec![Change::ContractCanceled {
				id: 2,
				cause: CancelCause::CanceledByNode,
				unpaid: 0,
			}])
			.await;
		assert_eq!(free_of_node_1(&schema, NODE).await, (NODE, true), "{label}: all canceled");
		db.pool.close().await;
	}
}

/// A database indexed before contracts declared capacity: migration 0002 takes each live node
/// contract to declare what its latest report used, as the chain's storage migration does.
#[tokio::test(flavor = "multi_thread")]
async fn contracts_indexed_before_declared_capacity_declare_their_latest_report() {
	let (dir, _postgres, databases) = databases().await;
	let first = dir.path().join("first-migration");
	std::fs::create_dir(&first).expect("dir");
	// From the package's directory, where the tests run (test-support/README.md, "Test data").
	let migrations = std::path::Path::new("migrations");
	std::fs::copy(migrations.join("0001_grid.sql"), first.join("0001_grid.sql")).expect("copied");
	for (label, database) in databases {
		sqlx::any::install_default_drivers();
		let url = grid_indexer::db::database_url(&database).expect("url").0;
		let pool = sqlx::AnyPool::connect(&url).await.expect("database");
		sqlx::migrate::Migrator::new(first.as_path())
			.await
			.expect("migration 0001")
			.run(&pool)
			.await
			.expect("migrated to 0001");
		for sql in [
			"INSERT INTO nodes (id, farm_id, twin_id, cru, sru, hru, mru, used_cru, used_sru, used_hru, used_mru, country, city, latitude, longitude, certified, deleted, created_block, updated_block) \
			 VALUES (1, 1, 11, 8, 1000, 2000, 32, 3, 50, 0, 6, 'BE', '', '', '', 0, 0, 0, 0)",
			"INSERT INTO contracts (id, twin_id, kind, node_id, version, state, deposit, public_ips, used_cru, used_sru, used_hru, used_mru, billed, created_block, created_time, updated_block) \
			 VALUES (1, 1, 'node', 1, 1, 'deployed', 0, 0, 2, 40, 0, 4, 0, 0, 0, 0)",
			"INSERT INTO contracts (id, twin_id, kind, node_id, version, state, deposit, public_ips, used_cru, used_sru, used_hru, used_mru, billed, created_block, created_time, updated_block) \
			 VALUES (2, 1, 'node', 1, 1, 'created', 0, 0, 1, 10, 0, 2, 0, 0, 0, 0)",
			"INSERT INTO contracts (id, twin_id, kind, node_id, version, state, deposit, public_ips, used_cru, used_sru, used_hru, used_mru, billed, created_block, created_time, updated_block) \
			 VALUES (3, 1, 'node', 1, 1, 'deleted', 0, 0, 4, 4, 4, 4, 0, 0, 0, 0)",
			"INSERT INTO contracts (id, twin_id, kind, node_id, version, state, deposit, public_ips, used_cru, used_sru, used_hru, used_mru, billed, created_block, created_time, updated_block) \
			 VALUES (4, 1, 'rent', 1, 1, 'created', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
		] {
			sqlx::query(sql).execute(&pool).await.expect("row");
		}
		pool.close().await;

		let db = Db::connect(&database).await.expect("migrated to the latest");
		let schema = api::schema(db.clone(), Arc::new(Status::default()));
		let answer = query(
			&schema,
			"{ node(id: 1) { declared { cru sru hru mru } free { cru sru hru mru } } \
			 contracts { items { id capacity { cru sru hru mru } } } }",
		)
		.await;
		let declared = Resources { cru: 3, sru: 50, hru: 0, mru: 6 };
		assert_eq!(capacity_of(&answer["node"]["declared"]), declared, "{label}: live ones only");
		assert_eq!(
			capacity_of(&answer["node"]["free"]),
			Resources { cru: 5, sru: 950, hru: 2000, mru: 26 },
			"{label}"
		);
		let capacities: Vec<Resources> = answer["contracts"]["items"]
			.as_array()
			.expect("contracts")
			.iter()
			.map(|c| capacity_of(&c["capacity"]))
			.collect();
		assert_eq!(
			capacities,
			[
				Resources { cru: 2, sru: 40, hru: 0, mru: 4 },
				Resources { cru: 1, sru: 10, hru: 0, mru: 2 },
				Resources { cru: 4, sru: 4, hru: 4, mru: 4 },
				Resources::default(),
			],
			"{label}: each node contract's latest report, rent contracts nothing"
		);
		db.pool.close().await;
	}
}

/// Bills are written many to a statement, at the end of their run of bills: each still names its
/// contract's twin and node, a contract's `billed` is the sum of its bills, and a bill of a contract
/// the index does not know (a genesis one) is kept with twin 0 and no node.
#[tokio::test(flavor = "multi_thread")]
async fn bills_in_bulk_name_their_contracts_twin_and_node_and_sum_into_billed() {
	let (_dir, _postgres, databases) = databases().await;
	for (label, database) in databases {
		let db = Db::connect(&database).await.expect("database");
		let mut chain = Chain { db: &db, number: 0 };
		let vm = Resources { cru: 1, sru: GIB, hru: 0, mru: GIB };
		chain.block(vec![node(1), node(2), node_contract(1, 1, vm), node_contract(2, 2, vm)]).await;
		let bill = |contract_id: u64, amount: u128| Change::Billed {
			contract_id,
			amount,
			discount_level: DiscountLevel::Gold,
		};
		chain
			.block(vec![
				bill(1, 100),
				bill(2, 30),
				bill(99, 7),
				Change::ContractCanceled { id: 2, cause: CancelCause::CanceledByUser, unpaid: 0 },
				bill(1, 50),
			])
			.await;
		let bills: Vec<(i64, i64, i64, Option<i64>, i64, String)> = sqlx::query_as(
			"SELECT event_index, contract_id, twin_id, node_id, amount, discount_level FROM bills ORDER BY block_number, event_index",
		)
		.fetch_all(&db.pool)
		.await
		.expect("bills");
		let gold = || "Gold".to_string();
		assert_eq!(
			bills,
			vec![
				(0, 1, 1, Some(1), 100, gold()),
				(1, 2, 1, Some(2), 30, gold()),
				(2, 99, 0, None, 7, gold()),
				(4, 1, 1, Some(1), 50, gold()),
			],
			"{label}"
		);
		let billed: Vec<(i64, i64)> =
			sqlx::query_as("SELECT id, billed FROM contracts ORDER BY id")
				.fetch_all(&db.pool)
				.await
				.expect("contracts");
		assert_eq!(billed, vec![(1, 150), (2, 30)], "{label}");
		db.pool.close().await;
	}
}
