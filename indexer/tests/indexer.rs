//! `grid-indexer` end to end: the real `gridchain-node`, the real indexer binary on SQLite and on
//! a real PostgreSQL server, and the chain's own storage and events as the truth.

use gridchain_test_support::indexer as support;

use gridchain_sdk::{chain, Client, Identity, Location, Resources};
use gridchain_test_support::Chain;
use serde_json::Value;
use std::collections::BTreeMap;
use support::{Indexer, Postgres};

fn identity(uri: &str) -> Identity {
	Identity::from_uri(uri).expect("dev identity")
}

const GIB: u64 = 1 << 30;

/// What the chain's events say, read block by block by the test itself.
#[derive(Debug, Default)]
struct Truth {
	head: u64,
	events: u64,
	billed: BTreeMap<u64, u128>,
	bills_of: BTreeMap<u64, usize>,
	bills: usize,
	owner: BTreeMap<u64, u32>,
	/// Each contract's declared capacity, as its latest ContractCreated or ContractUpdated says.
	capacity: BTreeMap<u64, Resources>,
	accepted_reports: usize,
	rejected_reports: Vec<(u64, String)>,
	grace_started: Vec<u64>,
	grace_ended: Vec<u64>,
	burned: u128,
	transfers: usize,
	prices: usize,
}

async fn read_truth(client: &Client) -> Truth {
	use chain::{balances::events as b, smart_contract::events as sc, tft_price::events as p};
	use futures::StreamExt;
	let mut truth =
		Truth { head: client.finalized_number().await.expect("head"), ..Truth::default() };
	let api = client.api();
	let mut blocks = futures::stream::iter(0..=truth.head)
		.map(|number| async move {
			api.at_block(number).await.expect("block").events().fetch().await.expect("events")
		})
		.buffered(16);
	while let Some(events) = blocks.next().await {
		truth.events += u64::from(events.len());
		for e in events.find::<sc::ContractCreated>() {
			let e = e.expect("ContractCreated");
			truth.owner.insert(e.contract_id, e.twin_id);
			truth.capacity.insert(e.contract_id, e.capacity.into());
		}
		for e in events.find::<sc::ContractUpdated>() {
			let e = e.expect("ContractUpdated");
			truth.capacity.insert(e.contract_id, e.capacity.into());
		}
		for e in events.find::<sc::ContractBilled>() {
			let e = e.expect("ContractBilled");
			*truth.billed.entry(e.contract_id).or_default() += e.amount;
			*truth.bills_of.entry(e.contract_id).or_default() += 1;
			truth.bills += 1;
		}
		truth.accepted_reports += events.find::<sc::ConsumptionReportReceived>().count();
		for e in events.find::<sc::ConsumptionReportRejected>() {
			let e = e.expect("rejected");
			truth.rejected_reports.push((e.contract_id, format!("{:?}", e.reason)));
		}
		for e in events.find::<sc::ContractGracePeriodStarted>() {
			truth.grace_started.push(e.expect("grace").contract_id);
		}
		for e in events.find::<sc::ContractGracePeriodEnded>() {
			truth.grace_ended.push(e.expect("grace end").contract_id);
		}
		for e in events.find::<sc::TokensBurned>() {
			truth.burned += e.expect("burn").amount;
		}
		truth.transfers += events.find::<b::Transfer>().count();
		truth.prices += events.find::<p::PriceStored>().count();
		truth.prices += events.find::<p::AveragePriceStored>().count();
	}
	truth
}

/// A `Capacity { cru sru hru mru }` of the GraphQL answer.
fn capacity_of(v: &Value) -> Resources {
	let field = |name: &str| v[name].as_u64().unwrap_or_else(|| panic!("{name} of {v}"));
	Resources { cru: field("cru"), sru: field("sru"), hru: field("hru"), mru: field("mru") }
}

/// Node `node`'s free capacity in each indexer is the runtime API's `free_resources` at the
/// finalized head: its resources minus what its live node contracts declare (SPEC §4.5).
async fn assert_free_as_on_chain(client: &Client, indexers: &[&Indexer], node: u32, when: &str) {
	let head = client.finalized_number().await.expect("head");
	let free = client.free_resources(node).await.expect("free");
	for indexer in indexers {
		indexer.wait_for(head);
		let q = format!(
			"{{ node(id: {node}) {{ free {{ cru sru hru mru }} }} \
			 nodes(filter: {{ freeCru: {}, freeSru: {}, freeHru: {}, freeMru: {} }}) {{ items {{ id }} }} }}",
			free.cru, free.sru, free.hru, free.mru
		);
		let answer = indexer.query(&q);
		assert_eq!(
			capacity_of(&answer["node"]["free"]),
			free,
			"{when}: node {node}'s free capacity"
		);
		let found = answer["nodes"]["items"].as_array().expect("nodes");
		assert!(
			found.iter().any(|n| n["id"] == node),
			"{when}: a search for exactly what is free finds node {node}"
		);
		let q =
			format!("{{ nodes(filter: {{ freeCru: {} }}) {{ items {{ id }} }} }}", free.cru + 1);
		let over = indexer.query(&q);
		assert!(
			!over["nodes"]["items"].as_array().expect("nodes").iter().any(|n| n["id"] == node),
			"{when}: one vCPU more than free does not find node {node}"
		);
	}
}

fn units(v: &Value) -> u128 {
	v.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("units: {v}"))
}

/// Twins, farms with IPs, two nodes (one certified, one later deleted), node contracts with
/// declared capacity (one updated to a larger one), name and rent contracts, deployments
/// confirmed, accepted and rejected reports (not a node contract of the node, above the declared
/// capacity, never deployed), settlements, a grace period that ends and one that does not,
/// cancellations, an oracle price, a transfer.
async fn grid_activity(client: &Client) -> u64 {
	let alice = identity("//Alice");
	let bob = identity("//Bob");
	let charlie = identity("//Charlie");
	let dave = identity("//Dave");
	let eve = identity("//Eve");
	let ferdie = identity("//Ferdie");
	let (a, b, c, d, e) =
		(alice.keypair(), bob.keypair(), charlie.keypair(), dave.keypair(), eve.keypair());

	for who in [&alice, &bob, &charlie, &dave, &eve] {
		client
			.create_twin(who.keypair(), Some(who.x25519_public()), None)
			.await
			.expect("twin created");
	}
	let farm = client.create_farm(a, "farm-one").await.expect("farm");
	for ip in ["185.206.122.33/24", "185.206.122.34/24", "185.206.122.35/24"] {
		client.add_farm_ip(a, farm, ip, "185.206.122.1").await.expect("ip added");
	}
	client.remove_farm_ip(a, farm, "185.206.122.35/24").await.expect("ip removed");
	let big = Resources { cru: 8, mru: 32 * GIB, sru: 1000 * GIB, hru: 0 };
	let ghent = Location { country: "BE".into(), city: "Ghent".into(), ..Location::default() };
	let node1 = client.create_node(b, farm, big, &ghent).await.expect("node 1");
	let small = Resources { cru: 2, mru: 4 * GIB, sru: 100 * GIB, hru: 0 };
	let amsterdam =
		Location { country: "NL".into(), city: "Amsterdam".into(), ..Location::default() };
	let node2 = client.create_node(d, farm, small, &amsterdam).await.expect("node 2");
	client.set_node_certification(a, node1, true).await.expect("certified");
	let bigger = Resources { cru: 16, ..big };
	client.update_node(b, node1, bigger, &ghent).await.expect("node updated");

	// Charlie: a node contract with a public IP, confirmed, reported on and settled twice.
	let hash = [7u8; 32];
	let declared = Resources { cru: 2, mru: 4 * GIB, sru: 60 * GIB, hru: 0 };
	let web = client
		.create_node_contract(c, node1, hash, b"encrypted".to_vec(), 1, declared)
		.await
		.expect("contract")
		.contract_id;
	client.confirm_deployment(b, web, hash).await.expect("confirmed");
	let used = Resources { cru: 2, mru: 4 * GIB, sru: 50 * GIB, hru: 0 };
	// More vCPUs than the contract declared: rejected.
	let now = client.chain_time_secs().await.expect("time");
	let over = Resources { cru: 3, ..used };
	let report =
		gridchain_sdk::Consumption { contract_id: web, timestamp: now, used: over, nru: 0 };
	let outcome = client.report_consumption(b, &[report]).await.expect("report");
	assert_eq!(outcome.rejected, vec![(web, "ExceedsContractCapacity".to_string())]);
	for _ in 0..2 {
		let now = client.chain_time_secs().await.expect("time");
		let report = gridchain_sdk::Consumption { contract_id: web, timestamp: now, used, nru: 0 };
		let outcome = client.report_consumption(b, &[report]).await.expect("report");
		assert_eq!(outcome.received, vec![web]);
		client.settle_contract(a, web).await.expect("settled");
	}
	// An update: a new hash, a new deposit and a larger capacity for a bigger deployment.
	let bigger_data = vec![1u8; 4096];
	let larger = Resources { cru: 4, mru: 8 * GIB, sru: 100 * GIB, hru: 0 };
	client.update_node_contract(c, web, [8u8; 32], bigger_data, larger).await.expect("updated");
	client.confirm_deployment(b, web, [8u8; 32]).await.expect("confirmed again");
	let name = client.create_name_contract(c, "my-site").await.expect("name").contract_id;
	// A report on a contract that is not Bob's node contract is rejected.
	let now = client.chain_time_secs().await.expect("time");
	let wrong = gridchain_sdk::Consumption { contract_id: name, timestamp: now, used, nru: 0 };
	let outcome = client.report_consumption(b, &[wrong]).await.expect("report");
	assert_eq!(outcome.rejected.len(), 1);
	// Charlie rents node 2; deleting the node ends the rent contract.
	let rent = client.create_rent_contract(c, node2).await.expect("rent").contract_id;

	// Eve runs out of funds: grace, a top-up ends it; drained again, grace again.
	let small_vm = Resources { cru: 1, mru: GIB, sru: 10 * GIB, hru: 0 };
	let eve_vm = client
		.create_node_contract(e, node1, [9u8; 32], b"x".to_vec(), 0, small_vm)
		.await
		.expect("eve's contract")
		.contract_id;
	// A report before the node confirmed the deployment: rejected.
	let now = client.chain_time_secs().await.expect("time");
	let early =
		gridchain_sdk::Consumption { contract_id: eve_vm, timestamp: now, used: small_vm, nru: 0 };
	let outcome = client.report_consumption(b, &[early]).await.expect("report");
	assert_eq!(outcome.rejected, vec![(eve_vm, "NeverDeployed".to_string())]);
	client.confirm_deployment(b, eve_vm, [9u8; 32]).await.expect("confirmed");
	let set_balance = |free: u128| {
		chain::Call::Balances(
			chain::runtime_types::pallet_balances::pallet::Call::force_set_balance {
				who: subxt::utils::MultiAddress::Id(eve.account_id()),
				new_free: free,
			},
		)
	};
	for round in 0..2 {
		let now = client.chain_time_secs().await.expect("time");
		let report = gridchain_sdk::Consumption {
			contract_id: eve_vm,
			timestamp: now,
			used: small_vm,
			nru: 0,
		};
		// Drained first: the billing pass may settle in the report's next block.
		client.sudo(a, set_balance(100_000)).await.expect("drained to the existential deposit");
		client.report_consumption(b, &[report]).await.expect("report");
		client.settle_contract(a, eve_vm).await.expect("settled into grace");
		if round == 0 {
			client.sudo(a, set_balance(1_000 * 10_000_000)).await.expect("topped up");
			client.settle_contract(a, eve_vm).await.expect("settled out of grace");
		}
	}

	// An oracle price, a transfer, a cancellation, a node deleted.
	client.add_price_oracle(a, ferdie.account_id()).await.expect("oracle");
	client.set_tft_price(ferdie.keypair(), 60).await.expect("price");
	client.transfer(ferdie.keypair(), &charlie.account_id(), 100 * 10_000_000).await.expect("sent");
	client.cancel_contract(c, web).await.expect("canceled");
	client.delete_node(d, node2).await.expect("node deleted");
	let _ = rent;
	client.finalized_number().await.expect("head")
}

/// Everything the indexer says, compared with the chain's storage and events.
async fn check_against_chain(client: &Client, indexer: &Indexer, truth: &Truth, label: &str) {
	// Twins, farms, IPs.
	let twins = indexer.query("{ twins { totalCount items { id account pk relay } } }");
	assert_eq!(twins["twins"]["totalCount"], 5, "{label}: twins");
	for t in twins["twins"]["items"].as_array().expect("twins") {
		let id = t["id"].as_u64().expect("id") as u32;
		let on_chain = client.twin(id).await.expect("twin");
		assert_eq!(t["account"], on_chain.account, "{label}: twin {id} account");
		assert_eq!(t["pk"].as_str(), on_chain.pk.as_deref(), "{label}: twin {id} key");
	}
	let farm = indexer
		.query("{ farm(id: 1) { name twinId freeIps publicIps { ip gateway contractId } } }");
	let on_chain = client.farm(1).await.expect("farm");
	assert_eq!(farm["farm"]["name"], on_chain.name, "{label}");
	let ips: Vec<(String, u64)> = farm["farm"]["publicIps"]
		.as_array()
		.expect("ips")
		.iter()
		.map(|ip| {
			(ip["ip"].as_str().expect("ip").to_string(), ip["contractId"].as_u64().expect("c"))
		})
		.collect();
	let mut chain_ips: Vec<(String, u64)> =
		on_chain.public_ips.iter().map(|ip| (ip.ip.clone(), ip.contract_id)).collect();
	chain_ips.sort();
	assert_eq!(ips, chain_ips, "{label}: the farm's IPs and who holds them");
	assert_eq!(farm["farm"]["freeIps"], 2, "{label}: both IPs free after the cancellation");

	// Nodes: capacity, location, certification; the deleted one is gone unless asked for.
	let nodes = indexer.query(
		"{ nodes { totalCount items { id farmId country city certified total { cru mru sru hru } declared { cru sru hru mru } used { cru mru sru } free { cru sru hru mru } } } }",
	);
	assert_eq!(nodes["nodes"]["totalCount"], 1, "{label}: node 2 was deleted");
	let n = &nodes["nodes"]["items"][0];
	let node1 = client.node(1).await.expect("node 1");
	assert_eq!(n["total"]["cru"], node1.resources.cru, "{label}: the updated capacity");
	assert_eq!(n["total"]["mru"], node1.resources.mru, "{label}");
	assert_eq!(n["country"], node1.location.country, "{label}");
	assert_eq!(n["certified"], node1.certified, "{label}");
	assert!(node1.certified);
	// Declared = what the live node contracts on it declare, used = their latest reports: only
	// Eve's is live. Free = total − declared, the runtime API's rule.
	let free = client.free_resources(1).await.expect("free");
	assert_eq!(capacity_of(&n["free"]), free, "{label}: free as the runtime API says");
	assert_eq!(
		capacity_of(&n["declared"]),
		Resources { cru: 1, mru: GIB, sru: 10 * GIB, hru: 0 },
		"{label}: Eve's VM declared"
	);
	assert_eq!(n["used"]["cru"], 1, "{label}: Eve's VM");
	let deleted =
		indexer.query("{ nodes(filter: { includeDeleted: true }) { items { id deleted } } }");
	assert_eq!(deleted["nodes"]["items"][1]["deleted"], true, "{label}");
	// Search: Belgium with 15 free vCPUs and a free IP finds node 1; 16 vCPUs does not.
	let found = indexer.query(
		"{ nodes(filter: { country: \"BE\", freeCru: 15, freeMru: 1073741824, freeIps: 2, certified: true }) { items { id } } }",
	);
	assert_eq!(found["nodes"]["items"][0]["id"], 1, "{label}");
	let none = indexer.query("{ nodes(filter: { country: \"BE\", freeCru: 16 }) { totalCount } }");
	assert_eq!(none["nodes"]["totalCount"], 0, "{label}");

	// Contracts: every one, with the state storage has (live) or its end (deleted).
	let contracts = indexer.query(
		"{ contracts { totalCount items { id twinId kind state cause billed deposit version deploymentHash nodeId name capacity { cru sru hru mru } events { kind state blockNumber } } } }",
	);
	let items = contracts["contracts"]["items"].as_array().expect("contracts");
	assert_eq!(items.len(), truth.owner.len(), "{label}: every contract created");
	for c in items {
		let id = c["id"].as_u64().expect("id");
		assert_eq!(c["twinId"].as_u64(), truth.owner.get(&id).map(|t| u64::from(*t)), "{label}");
		assert_eq!(
			Some(capacity_of(&c["capacity"])),
			truth.capacity.get(&id).copied(),
			"{label}: contract {id}'s declared capacity, as its latest event says"
		);
		let billed = units(&c["billed"]);
		assert_eq!(
			billed,
			truth.billed.get(&id).copied().unwrap_or(0),
			"{label}: contract {id} billed"
		);
		match client.contract(id).await {
			Ok(live) => {
				let state = serde_json::to_value(&live.state).expect("json");
				assert_eq!(c["state"], state["state"], "{label}: contract {id} state");
				let at = client.at().await.expect("at");
				let stored = at
					.storage()
					.fetch(chain::storage().smart_contract().contracts(), (id,))
					.await
					.expect("contract")
					.decode()
					.expect("decoded");
				assert_eq!(
					units(&c["deposit"]),
					stored.billing.deposit,
					"{label}: contract {id} deposit"
				);
				if let chain::runtime_types::pallet_smart_contract::types::ContractType::Node(n) =
					stored.contract_type
				{
					assert_eq!(
						capacity_of(&c["capacity"]),
						n.capacity.into(),
						"{label}: contract {id}'s capacity as storage has it"
					);
				}
			}
			Err(gridchain_sdk::Error::NotFound { .. }) => {
				assert_eq!(c["state"], "deleted", "{label}: contract {id} ended");
			}
			Err(e) => panic!("{e}"),
		}
	}
	let web = &items[0];
	assert_eq!(web["cause"], "canceled_by_user", "{label}");
	let kinds: Vec<&str> = web["events"]
		.as_array()
		.expect("events")
		.iter()
		.map(|e| e["kind"].as_str().expect("k"))
		.collect();
	assert_eq!(
		kinds,
		["created", "deployed", "updated", "deployed", "canceled"],
		"{label}: contract 1's history"
	);
	assert_eq!(
		(web["version"].as_u64(), web["deploymentHash"].as_str()),
		(Some(2), Some(&*format!("0x{}", "08".repeat(32))))
	);
	assert_eq!(
		capacity_of(&web["capacity"]),
		Resources { cru: 4, mru: 8 * GIB, sru: 100 * GIB, hru: 0 },
		"{label}: the capacity the update declared"
	);
	// The deposit the update set, as storage had it in the update's block.
	let updated_in = web["events"][2]["blockNumber"].as_u64().expect("block");
	let at = client.api().at_block(updated_in).await.expect("block");
	let billing = at
		.storage()
		.fetch(chain::storage().smart_contract().contracts(), (1u64,))
		.await
		.expect("contract")
		.decode()
		.expect("decoded")
		.billing;
	assert_eq!(units(&web["deposit"]), billing.deposit, "{label}: the updated deposit");
	assert!(billing.deposit > 21_900_000, "the bigger deployment holds more");
	let rent = &items[2];
	assert_eq!(
		(rent["kind"].as_str(), rent["cause"].as_str()),
		(Some("rent"), Some("canceled_by_node"))
	);
	let name = &items[1];
	assert_eq!(name["name"], "my-site", "{label}");
	let eve = &items[3];
	assert_eq!(eve["state"], "grace_period", "{label}: Eve's second grace");
	let live =
		indexer.query("{ contracts(filter: { twinId: 3, state: \"deleted\" }) { totalCount } }");
	assert_eq!(live["contracts"]["totalCount"], 2, "{label}: Charlie's two ended contracts");

	// Bills: per contract and per twin, the sum equals the chain's ContractBilled events.
	let mut per_twin: BTreeMap<u32, u128> = BTreeMap::new();
	for (contract, amount) in &truth.billed {
		*per_twin.entry(truth.owner[contract]).or_default() += amount;
		let q = format!("{{ bills(filter: {{ contractId: {contract} }}) {{ totalAmount totalCount items {{ amount }} }} }}");
		let bills = indexer.query(&q);
		assert_eq!(
			units(&bills["bills"]["totalAmount"]),
			*amount,
			"{label}: bills of contract {contract}"
		);
		let listed: u128 = bills["bills"]["items"]
			.as_array()
			.expect("items")
			.iter()
			.map(|b| units(&b["amount"]))
			.sum();
		assert_eq!(listed, *amount, "{label}");
	}
	assert!(truth.billed.get(&1).copied().unwrap_or(0) > 0, "contract 1 paid something");
	for (twin, amount) in &per_twin {
		let q = format!("{{ billsPerDay(filter: {{ twinId: {twin} }}) {{ day amount bills }} }}");
		let days = indexer.query(&q);
		let total: u128 =
			days["billsPerDay"].as_array().expect("days").iter().map(|d| units(&d["amount"])).sum();
		assert_eq!(total, *amount, "{label}: twin {twin}'s bills per day add up");
	}
	let all = indexer.query("{ bills { totalCount } }");
	assert_eq!(all["bills"]["totalCount"], truth.bills, "{label}: every bill");

	// Reports, grace periods, prices, transfers.
	let reports = indexer.query(
		"{ a: consumptionReports(accepted: true) { totalCount items { contractId cru mru } } r: consumptionReports(accepted: false) { items { contractId reason } } }",
	);
	assert_eq!(reports["a"]["totalCount"], truth.accepted_reports, "{label}");
	assert_eq!(reports["a"]["items"][0]["cru"], 2, "{label}: the resources reported");
	let rejected: Vec<(u64, String)> = reports["r"]["items"]
		.as_array()
		.expect("rejected")
		.iter()
		.map(|r| {
			(
				r["contractId"].as_u64().expect("id"),
				r["reason"].as_str().expect("reason").to_string(),
			)
		})
		.collect();
	assert_eq!(rejected, truth.rejected_reports, "{label}");
	let grace = indexer
		.query("{ gracePeriods { totalCount items { contractId endedBlock endedBy debt } } }");
	let grace = grace["gracePeriods"]["items"].as_array().expect("grace");
	assert_eq!(grace.len(), truth.grace_started.len(), "{label}");
	assert_eq!(
		grace.iter().filter(|g| g["endedBy"] == "paid").count(),
		truth.grace_ended.len(),
		"{label}: grace periods ended by payment"
	);
	let burned: u128 = indexer.query("{ burns(first: 1000) { amount } }")["burns"]
		.as_array()
		.expect("burns")
		.iter()
		.map(|b| units(&b["amount"]))
		.sum();
	assert_eq!(burned, truth.burned, "{label}: burned");
	let prices = indexer.query("{ prices(first: 1000) { totalCount items { kind priceMusd } } }");
	assert_eq!(
		prices["prices"]["totalCount"],
		truth.prices + 2,
		"{label}: prices, and genesis's two"
	);
	assert_eq!(prices["prices"]["items"][0]["kind"], "average");
	let transfers = indexer.query("{ transfers(first: 1000) { totalCount } }");
	assert_eq!(transfers["transfers"]["totalCount"], truth.transfers, "{label}");

	// /health and /metrics.
	let health = indexer.health().expect("health");
	assert_eq!(health["status"], "ok", "{label}: {health}");
	assert_eq!(health["lag_blocks"], 0);
	let metrics = indexer.metrics();
	assert!(
		metrics.contains(&format!("grid_indexer_indexed_height {}", health["indexed_height"])),
		"{metrics}"
	);
	assert!(
		metrics.contains(&format!("grid_indexer_events_total {}", truth.events)),
		"{label}: {metrics}"
	);
	// The catch-up profile: every block read cost calls to the node (finding it, then its time and
	// events in one read), answered in some time.
	let value = |name: &str| -> f64 {
		metrics
			.lines()
			.find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
			.unwrap_or_else(|| panic!("{label}: no {name} in {metrics}"))
	};
	let blocks = value("grid_indexer_blocks_total");
	assert!(value("grid_indexer_rpc_calls_total") >= 2.0 * blocks, "{label}: {metrics}");
	assert!(value("grid_indexer_rpc_seconds_total") > 0.0, "{label}: {metrics}");
	assert!(value("grid_indexer_decode_seconds_total") > 0.0, "{label}: {metrics}");
	assert!(value("grid_indexer_read_wait_seconds_total") > 0.0, "{label}: {metrics}");
	assert!(value("grid_indexer_write_wait_seconds_total") >= 0.0, "{label}: {metrics}");

	// Bad input: a named error, nothing else.
	let bad = indexer.query_raw("{ nodes(first: 5000) { totalCount } }");
	assert!(bad["errors"][0]["message"].as_str().unwrap_or("").starts_with("first:"), "{bad}");
	let bad = indexer.query_raw("{ contracts(filter: { state: \"gone\" }) { totalCount } }");
	assert!(bad["errors"][0]["message"].as_str().unwrap_or("").starts_with("state:"), "{bad}");
}

/// The answers that must be the same on both databases.
const EVERYTHING: &str = "{ twins { items { id account pk relay createdBlock } } \
	farms { items { id name freeIps publicIps { ip contractId } } } \
	nodes(filter: { includeDeleted: true }) { items { id certified deleted total { cru } declared { cru sru hru mru } used { cru mru sru } free { cru sru hru mru } freeIps } } \
	contracts { items { id kind state cause unpaid deposit billed version deploymentHash capacity { cru sru hru mru } events { blockNumber kind state detail time } } } \
	bills { totalAmount items { blockNumber eventIndex contractId twinId nodeId amount discountLevel time } } \
	billsPerDay { day amount bills } \
	consumptionReports { items { blockNumber contractId accepted reason timestamp windowSecs costScaledUusd cru sru hru mru } } \
	gracePeriods { items { contractId startedBlock debt endedBlock endedBy } } \
	prices { items { blockNumber kind priceMusd } } burns { amount } transfers { items { fromAccount toAccount amount } } }";

#[tokio::test(flavor = "multi_thread")]
async fn grid_history_is_indexed_the_same_on_sqlite_and_postgres_and_matches_the_chain() {
	let chain = Chain::start();
	let client = Client::connect(&chain.url).await.expect("client");
	let head = grid_activity(&client).await;
	let truth = read_truth(&client).await;
	assert!(truth.grace_started.len() == 2 && truth.grace_ended.len() == 1, "{truth:?}");

	let sqlite = chain.path("grid.db").display().to_string();
	let on_sqlite = Indexer::start(&chain.url, &sqlite, chain.dir.path(), &[]);
	let postgres = Postgres::start();
	let url = postgres.database("grid");
	let on_postgres = Indexer::start(&chain.url, &url, chain.dir.path(), &[]);
	on_sqlite.wait_for(head);
	on_postgres.wait_for(head);
	check_against_chain(&client, &on_sqlite, &truth, "sqlite").await;
	check_against_chain(&client, &on_postgres, &truth, "postgres").await;
	assert_eq!(
		on_sqlite.query(EVERYTHING),
		on_postgres.query(EVERYTHING),
		"both databases say the same"
	);

	// `grid` asks the indexer for a contract's whole bill history and for node search, and says
	// when it falls back to the chain.
	let url = format!("http://127.0.0.1:{}/graphql", on_postgres.port);
	let bills = chain.json("", &["--indexer", &url, "contract", "bills", "1"]);
	assert_eq!(bills["total"].as_u64().map(u128::from), truth.billed.get(&1).copied());
	assert_eq!(bills["bills"].as_array().map(Vec::len), truth.bills_of.get(&1).copied(), "{bills}");
	let from_indexer =
		chain.json("", &["--indexer", &url, "node", "find", "--country", "BE", "--cru", "15"]);
	let from_chain = chain.json("", &["node", "find", "--country", "BE", "--cru", "15"]);
	assert_eq!(from_indexer, from_chain, "the indexer finds what the chain finds");
	assert_eq!(from_indexer[0]["node"]["id"], 1);
	let config = chain.dir.path().join("config/grid");
	std::fs::create_dir_all(&config).expect("config dir");
	let nobody = format!("indexer = \"http://127.0.0.1:{}\"\n", support::free_port());
	std::fs::write(config.join("config.toml"), nobody).expect("config");
	let fallback = chain.grid("", &["--json", "contract", "bills", "1", "--blocks", "1000"]);
	fallback.ok();
	assert!(
		fallback.stderr.contains("did not answer") && fallback.stderr.contains("reading the chain"),
		"{}",
		fallback.stderr
	);
	let fallback: Value = serde_json::from_str(&fallback.stdout).expect("JSON");
	let chain_total: u128 = fallback["bills"]
		.as_array()
		.expect("bills")
		.iter()
		.map(|b| b["amount"].as_u64().expect("a") as u128)
		.sum();
	assert_eq!(
		Some(chain_total),
		truth.billed.get(&1).copied(),
		"the chain's answer, read block by block"
	);

	// New blocks are followed once caught up.
	let ferdie = identity("//Ferdie");
	client
		.transfer(ferdie.keypair(), &identity("//Bob").account_id(), 10_000_000)
		.await
		.expect("sent");
	let head = client.finalized_number().await.expect("head");
	on_sqlite.wait_for(head);
	on_postgres.wait_for(head);
	for indexer in [&on_sqlite, &on_postgres] {
		let t = indexer.query("{ transfers { totalCount } }");
		assert_eq!(t["transfers"]["totalCount"], truth.transfers + 1);
	}

	// Free capacity follows what contracts declare, block by block, as the runtime API says: a
	// contract created, grown, shrunk and cancelled.
	let both = [&on_sqlite, &on_postgres];
	let charlie = identity("//Charlie");
	let bob = identity("//Bob");
	assert_free_as_on_chain(&client, &both, 1, "before").await;
	let declared = Resources { cru: 3, mru: 6 * GIB, sru: 40 * GIB, hru: 0 };
	let vm = client
		.create_node_contract(charlie.keypair(), 1, [10u8; 32], b"vm".to_vec(), 0, declared)
		.await
		.expect("created")
		.contract_id;
	assert_free_as_on_chain(&client, &both, 1, "created").await;
	client.confirm_deployment(bob.keypair(), vm, [10u8; 32]).await.expect("confirmed");
	let grown = Resources { cru: 5, mru: 8 * GIB, sru: 40 * GIB, hru: 0 };
	client
		.update_node_contract(charlie.keypair(), vm, [11u8; 32], b"vm 2".to_vec(), grown)
		.await
		.expect("grown");
	assert_free_as_on_chain(&client, &both, 1, "grown").await;
	let shrunk = Resources { cru: 1, mru: 2 * GIB, sru: 20 * GIB, hru: 0 };
	client
		.update_node_contract(charlie.keypair(), vm, [12u8; 32], b"vm 3".to_vec(), shrunk)
		.await
		.expect("shrunk");
	assert_free_as_on_chain(&client, &both, 1, "shrunk").await;
	for indexer in both {
		let c = indexer
			.query(&format!("{{ contract(id: {vm}) {{ capacity {{ cru sru hru mru }} }} }}"));
		assert_eq!(capacity_of(&c["contract"]["capacity"]), shrunk, "the latest declared capacity");
	}
	client.cancel_contract(charlie.keypair(), vm).await.expect("canceled");
	assert_free_as_on_chain(&client, &both, 1, "canceled").await;

	// Another dev chain has the same genesis but other blocks: the indexer refuses to mix them.
	drop(on_sqlite);
	let other = Chain::start();
	let other_client = Client::connect(&other.url).await.expect("client");
	other_client
		.transfer(ferdie.keypair(), &identity("//Bob").account_id(), 10_000_000)
		.await
		.expect("sent");
	let mut refused = std::process::Command::new(env!("CARGO_BIN_EXE_grid-indexer"))
		.args(["--chain", &other.url, "--database", &sqlite, "--listen", "127.0.0.1:0"])
		.stderr(std::process::Stdio::piped())
		.spawn()
		.expect("grid-indexer runs");
	let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
	while refused.try_wait().expect("wait").is_none() {
		if std::time::Instant::now() > deadline {
			let _ = refused.kill();
			panic!("the indexer went on indexing another chain into the same database");
		}
		std::thread::sleep(std::time::Duration::from_millis(100));
	}
	let out = refused.wait_with_output().expect("output");
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert_eq!(out.status.code(), Some(1), "{stderr}");
	assert!(stderr.contains("indexed from another chain"), "{stderr}");
	let out = std::process::Command::new(env!("CARGO_BIN_EXE_grid-indexer"))
		.args(["--database", "mysql://localhost/grid"])
		.output()
		.expect("grid-indexer runs");
	assert_eq!(out.status.code(), Some(2), "a bad --database is a usage error");
	assert!(String::from_utf8_lossy(&out.stderr).contains("--database mysql://localhost/grid"));
}

/// `blocks` sealed blocks, a transfer in every fifth; returns once the last is finalized.
async fn many_blocks(client: &Client, blocks: u32) {
	let ferdie = identity("//Ferdie");
	let bob = identity("//Bob").account_id();
	for i in 0..blocks {
		if i % 5 != 0 {
			support::create_block(client).await;
			continue;
		}
		let transfer = client.transfer(ferdie.keypair(), &bob, 10_000_000 + u128::from(i));
		tokio::pin!(transfer);
		loop {
			tokio::select! {
				done = &mut transfer => { done.expect("transfer"); break; }
				_ = tokio::time::sleep(std::time::Duration::from_millis(20)) => support::create_block(client).await,
			}
		}
	}
	// engine_createBlock returns before the finality it asked for is announced.
	let best = support::best_number(client).await;
	while client.finalized_number().await.expect("finalized") < best {
		tokio::time::sleep(std::time::Duration::from_millis(20)).await;
	}
}

/// The database holds exactly blocks 0..=cursor, each once, and nothing of later blocks: what a
/// crash may leave is the last commit, whole. Returns the cursor.
async fn assert_consistent(database: &str, label: &str) -> i64 {
	let db = grid_indexer::db::Db::connect(database).await.expect("database");
	let cursor = db.cursor().await.expect("cursor").map(|(n, _)| n).unwrap_or(-1);
	let (count, max): (i64, Option<i64>) =
		sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT), MAX(number) FROM blocks")
			.fetch_one(&db.pool)
			.await
			.expect("blocks");
	assert_eq!(count, cursor + 1, "{label}: blocks 0..=cursor, each once");
	assert_eq!(max.unwrap_or(-1), cursor, "{label}: no block past the cursor");
	let (later,): (i64,) =
		sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM transfers WHERE block_number > $1")
			.bind(cursor)
			.fetch_one(&db.pool)
			.await
			.expect("transfers");
	assert_eq!(later, 0, "{label}: no data past the cursor");
	db.pool.close().await;
	cursor
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stop_mid_catch_up_and_a_kill_9_mid_batch_neither_skip_nor_repeat_a_block() {
	let chain = Chain::start_sealing("manual");
	let client = Client::connect(&chain.url).await.expect("client");
	let t = std::time::Instant::now();
	many_blocks(&client, 250).await;
	eprintln!("TIMING blocks {:?}", t.elapsed());
	let truth = read_truth(&client).await;
	eprintln!("TIMING truth {:?}", t.elapsed());
	assert!(truth.head >= 250 && truth.transfers == 50, "{truth:?}");

	let postgres = Postgres::start();
	let databases = [
		("sqlite", chain.path("restart.db").display().to_string()),
		("postgres", postgres.database("restart")),
	];
	for (label, database) in databases {
		// Small batches, one block read at a time: catch-up takes long enough to interrupt (with
		// four at a time and batches of 25, a node answering without Nagle's 40 ms let it reach
		// the head before the kill).
		let args = ["--concurrency", "1", "--batch-blocks", "5"];
		let mut indexer = Indexer::start(&chain.url, &database, chain.dir.path(), &args);
		let eventually = |indexer: &Indexer, height: i64| {
			let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
			while indexer.indexed_height() < height {
				assert!(std::time::Instant::now() < deadline, "{label}: stuck below {height}");
				std::thread::sleep(std::time::Duration::from_millis(10));
			}
		};
		eventually(&indexer, 100);
		eprintln!("TIMING {label} 100 {:?}", t.elapsed());
		indexer.stop();
		let stopped_at = assert_consistent(&database, label).await;
		assert!(stopped_at < truth.head as i64, "{label}: stopped mid catch-up ({stopped_at})");

		indexer.restart();
		eventually(&indexer, stopped_at + 50);
		indexer.kill9();
		let killed_at = assert_consistent(&database, label).await;
		assert!(killed_at < truth.head as i64, "{label}: killed mid catch-up ({killed_at})");

		indexer.restart();
		indexer.wait_for(truth.head);
		eprintln!("TIMING {label} head {:?}", t.elapsed());
		assert_eq!(assert_consistent(&database, label).await, truth.head as i64);
		let blocks =
			indexer.query("{ transfers(first: 1000) { totalCount items { blockNumber amount } } }");
		assert_eq!(
			blocks["transfers"]["totalCount"], truth.transfers,
			"{label}: every transfer once"
		);
		let db = grid_indexer::db::Db::connect(&database).await.expect("database");
		let (events,): (i64,) = sqlx::query_as("SELECT CAST(SUM(events) AS BIGINT) FROM blocks")
			.fetch_one(&db.pool)
			.await
			.expect("events");
		assert_eq!(events as u64, truth.events, "{label}: every block's events counted once");
		assert!(
			indexer.log_text().contains(&format!("indexing blocks {}..=", killed_at + 1)),
			"{label}: resumed after the last commit"
		);
	}
}
