//! Four validators of `--chain local` on loopback that lose nodes and get them back: blocks go on,
//! finality follows the GRANDPA threshold (3 of 4), a restarted validator syncs to the same state,
//! and the books stay exact across the whole run: every bill is the SPEC formula over its window,
//! no contract is settled twice in a block or skipped, and the issuance drops by exactly what was
//! burned.

mod common;

use common::{dev, dynamic, DevNode, Location, Resources, GIB};
use gridchain_primitives::{
	cost::{name_cost, public_ip_cost},
	tft::{clamp_price, tft_due},
	DiscountLevel, UnitPrices,
};
use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
	time::{Duration, Instant},
};
use subxt::{rpcs::rpc_params, tx::Payload, utils::H256};
use subxt_signer::sr25519::Keypair;

/// Settle every contract this often on the test's chain (the local preset bills hourly).
const BILLING_FREQUENCY: u32 = 4;

const VALIDATORS: [&str; 4] = ["alice", "bob", "charlie", "dave"];

/// Start validator `name` of `--chain local` with its dev keys, keeping state in `base`.
async fn start_validator(name: &str, base: &Path, bootnodes: &[String]) -> DevNode {
	let flag = format!("--{name}");
	let base = base.to_string_lossy().to_string();
	// A fixed network key per validator, so a restarted one is the same peer.
	let index = VALIDATORS.iter().position(|v| *v == name).expect("a validator") + 1;
	let node_key = format!("{index:064x}");
	let mut args: Vec<&str> = vec![
		"--chain",
		"local",
		&flag,
		"--base-path",
		&base,
		"--state-pruning",
		"archive",
		"--node-key",
		&node_key,
	];
	for b in bootnodes {
		args.extend(["--bootnodes", b.as_str()]);
	}
	DevNode::spawn(&args).await
}

/// The node's p2p address on loopback, with its peer id.
async fn p2p_address(node: &DevNode) -> String {
	let addrs: Vec<String> =
		node.rpc.request("system_localListenAddresses", rpc_params![]).await.expect("addresses");
	addrs.into_iter().find(|a| a.starts_with("/ip4/127.0.0.1/tcp/")).expect("a loopback address")
}

async fn best_number(node: &DevNode) -> u64 {
	let header: serde_json::Value =
		node.rpc.request("chain_getHeader", rpc_params![]).await.expect("best header");
	u64::from_str_radix(header["number"].as_str().expect("number").trim_start_matches("0x"), 16)
		.expect("hex number")
}

async fn block_hash(node: &DevNode, number: u64) -> H256 {
	node.rpc.request("chain_getBlockHash", rpc_params![number]).await.expect("block hash")
}

async fn state_root(node: &DevNode, hash: H256) -> String {
	let header: serde_json::Value =
		node.rpc.request("chain_getHeader", rpc_params![hash]).await.expect("header");
	header["stateRoot"].as_str().expect("state root").to_string()
}

/// Poll `check` every half second until it holds, or fail after `secs` with `what`.
async fn wait_for<F, Fut>(what: &str, secs: u64, mut check: F)
where
	F: FnMut() -> Fut,
	Fut: std::future::Future<Output = bool>,
{
	let deadline = Instant::now() + Duration::from_secs(secs);
	while !check().await {
		assert!(Instant::now() < deadline, "waited {secs} s for {what}");
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

/// Submit `call` through `node` and wait until it is final; the number of its block, or `Err`
/// with the dispatch error.
async fn run<P: Payload>(node: &DevNode, call: &P, signer: &Keypair) -> Result<u64, String> {
	let at = node.api.at_current_block().await.map_err(|e| e.to_string())?;
	let progress = at
		.transactions()
		.sign_and_submit_then_watch_default(call, signer)
		.await
		.map_err(|e| e.to_string())?;
	let finalized = tokio::time::timeout(Duration::from_secs(180), progress.wait_for_finalized())
		.await
		.expect("final within 3 minutes")
		.map_err(|e| e.to_string())?;
	finalized.wait_for_success().await.map_err(|e| e.to_string())?;
	Ok(node.block_number(finalized.block_hash()).await)
}

/// A storage value at block `hash`.
async fn value_at<V: subxt::ext::scale_decode::DecodeAsType>(
	node: &DevNode,
	hash: H256,
	pallet: &str,
	entry: &str,
) -> V {
	let at = node.api.at_block(hash).await.expect("block");
	at.storage()
		.try_fetch(dynamic::storage::<(), V>(pallet, entry), ())
		.await
		.expect("storage read")
		.expect("value present")
		.decode_as::<V>()
		.expect("value decodes")
}

fn field(fields: &[(String, dynamic::Value)], name: &str) -> u128 {
	fields
		.iter()
		.find(|(k, _)| k == name)
		.and_then(|(_, v)| v.as_u128())
		.unwrap_or_else(|| panic!("field {name} in {fields:?}"))
}

/// What a contract is billed for when nothing reports on it: a name, or a node contract's IPs.
#[derive(Clone, Copy, Debug)]
enum Billed {
	Name,
	PublicIps(u32),
}

#[tokio::test(flavor = "multi_thread")]
async fn four_validators_lose_two_and_get_them_back_with_the_books_exact() {
	let started = Instant::now();
	let dir = std::env::temp_dir().join(format!("gridchain-network-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	let base = |name: &str| -> PathBuf { dir.join(name) };

	// Four validators; each later one boots from Alice.
	let alice = start_validator("alice", &base("alice"), &[]).await;
	let boot = vec![p2p_address(&alice).await];
	let mut nodes: BTreeMap<&str, DevNode> = BTreeMap::new();
	nodes.insert("alice", alice);
	for name in VALIDATORS[1..].iter().copied() {
		nodes.insert(name, start_validator(name, &base(name), &boot).await);
	}
	for name in VALIDATORS {
		let node = &nodes[name];
		wait_for(&format!("{name} to see finalized block 2"), 180, || async move {
			node.finalized_number().await >= 2
		})
		.await;
	}
	eprintln!("[{:?}] four validators produce and finalize blocks", started.elapsed());

	// A grid, set up through different validators: Alice farms (3 IPs) and is sudo, Bob is the
	// node, Charlie rents a node contract with an IP and a name, Dave a name.
	let (a, b, c, d) = (&nodes["alice"], &nodes["bob"], &nodes["charlie"], &nodes["dave"]);
	let twin = common::twin();
	let mut farm_calls = vec![
		a.call_value(&twin).await,
		a.call_value(&dynamic::tx("Registry", "create_farm", (b"net-farm".to_vec(),))).await,
	];
	for host in 33..36u8 {
		let ip = format!("185.206.122.{host}/24").into_bytes();
		let add = dynamic::tx("Registry", "add_farm_ip", (1u32, ip, b"185.206.122.1".to_vec()));
		farm_calls.push(a.call_value(&add).await);
	}
	let frequency = a
		.call_value(&dynamic::tx("SmartContract", "set_billing_frequency", (BILLING_FREQUENCY,)))
		.await;
	farm_calls.push(a.call_value(&dynamic::tx("Sudo", "sudo", (frequency,))).await);
	let farm = dynamic::tx("Utility", "batch_all", (farm_calls,));
	let (alice_key, bob_key, charlie_key, dave_key) =
		(dev::alice(), dev::bob(), dev::charlie(), dev::dave());
	let (r1, r2, r3, r4) = tokio::join!(
		run(a, &farm, &alice_key),
		run(b, &twin, &bob_key),
		run(c, &twin, &charlie_key),
		run(d, &twin, &dave_key),
	);
	for r in [r1, r2, r3, r4] {
		r.expect("twins, farm, IPs and billing frequency");
	}
	let resources = Resources { cru: 8, mru: 32 * GIB, sru: 1000 * GIB, hru: 0 };
	let node =
		dynamic::tx("Registry", "create_node", (1u32, resources, Location::new("BE", "Gent")));
	run(b, &node, &bob_key).await.expect("node 1");
	let declared = Resources { cru: 1, mru: GIB, sru: 10 * GIB, hru: 0 };
	let node_contract = dynamic::tx(
		"SmartContract",
		"create_node_contract",
		(1u32, [7u8; 32], b"x".to_vec(), 1u32, declared),
	);
	let name_of =
		|n: &str| dynamic::tx("SmartContract", "create_name_contract", (n.as_bytes().to_vec(),));
	let dave_name = name_of("dave-site");
	let (r1, r2) =
		tokio::join!(run(c, &node_contract, &charlie_key), run(d, &dave_name, &dave_key),);
	let landed = r1.expect("node contract");
	r2.expect("name contract");
	// Charlie signs next through Alice's node, with the nonce of the block Alice has finalized:
	// that block must hold his node contract, which Charlie's node finalized first.
	wait_for("alice to finalize charlie's node contract", 180, || async move {
		a.finalized_number().await >= landed
	})
	.await;
	run(a, &name_of("charlie-site"), &charlie_key).await.expect("a second name contract");
	eprintln!("[{:?}] grid and three contracts created across the network", started.elapsed());

	// Dave goes down: three of four still finalize.
	nodes.remove("dave").expect("dave").crash();
	let a = &nodes["alice"];
	let finalized = a.finalized_number().await;
	wait_for("finality to go on with three validators", 180, || async move {
		a.finalized_number().await >= finalized + 3
	})
	.await;
	eprintln!("[{:?}] dave killed: finality goes on", started.elapsed());

	// Charlie too: two of four produce blocks, finality stalls.
	nodes.remove("charlie").expect("charlie").crash();
	let a = &nodes["alice"];
	let best = best_number(a).await;
	wait_for("two more blocks after the second kill", 180, || async move {
		best_number(a).await >= best + 2
	})
	.await;
	let stalled_at = a.finalized_number().await;
	let best = best_number(a).await;
	wait_for("blocks to go on with two validators", 240, || async move {
		best_number(a).await >= best + 4
	})
	.await;
	assert_eq!(a.finalized_number().await, stalled_at, "finality stalls with two of four");
	assert!(best_number(a).await > stalled_at + 4, "blocks go on past the finalized head");
	eprintln!(
		"[{:?}] charlie killed: blocks go on, finality stalls at {stalled_at}",
		started.elapsed()
	);

	// Charlie comes back: finality catches up with the best block.
	let boot = vec![p2p_address(a).await, p2p_address(&nodes["bob"]).await];
	nodes.insert("charlie", start_validator("charlie", &base("charlie"), &boot).await);
	let a = &nodes["alice"];
	let best = best_number(a).await;
	wait_for("finality to catch up after charlie's return", 240, || async move {
		a.finalized_number().await >= best
	})
	.await;
	eprintln!("[{:?}] charlie back: finality caught up to {best}", started.elapsed());

	// Dave comes back and syncs: the same state root at the finalized head.
	nodes.insert("dave", start_validator("dave", &base("dave"), &boot).await);
	let a = &nodes["alice"];
	let target = a.finalized_number().await;
	let d = &nodes["dave"];
	wait_for("dave to sync to the finalized head", 240, || async move {
		d.finalized_number().await >= target
	})
	.await;
	let hash = block_hash(a, target).await;
	let root = state_root(a, hash).await;
	for name in VALIDATORS {
		let node = &nodes[name];
		assert_eq!(block_hash(node, target).await, hash, "{name} has the same block {target}");
		assert_eq!(state_root(node, hash).await, root, "{name}'s state root at {target}");
	}
	eprintln!("[{:?}] dave back and synced: one state root at {target}", started.elapsed());

	// Let a few more settlements happen with all four, then audit every finalized block.
	let last = a.finalized_number().await + 2 * BILLING_FREQUENCY as u64;
	wait_for("two more billing cycles", 240, || async move { a.finalized_number().await >= last })
		.await;
	audit(a, last).await;
	eprintln!("[{:?}] audit of blocks 1..={last} passed", started.elapsed());

	for (_, node) in nodes {
		node.crash();
	}
	let _ = std::fs::remove_dir_all(&dir);
}

/// Walk blocks `1..=last`: each bill equals the SPEC formula over its window, no contract is
/// settled twice in a block or skipped for longer than a billing cycle, and the issuance dropped
/// by exactly the TFT burned and the fees.
async fn audit(node: &DevNode, last: u64) {
	let genesis = block_hash(node, 0).await;
	let head = block_hash(node, last).await;
	let issuance_before: u128 = value_at(node, genesis, "Balances", "TotalIssuance").await;
	let issuance_after: u128 = value_at(node, head, "Balances", "TotalIssuance").await;
	let price = clamp_price(
		value_at(node, head, "TftPrice", "AverageTftPrice").await,
		value_at(node, head, "TftPrice", "MinTftPrice").await,
		value_at(node, head, "TftPrice", "MaxTftPrice").await,
	);
	let prices = UnitPrices::GENESIS;

	// contract → (what it pays for, when it was last settled (s), block of the last settlement).
	let mut live: BTreeMap<u128, (Billed, u64, u64)> = BTreeMap::new();
	let (mut burned, mut fees, mut bills, mut billed_total) = (0u128, 0u128, 0u32, 0u128);
	let mut previous_now_secs: u64 =
		value_at::<u64>(node, genesis, "Timestamp", "Now").await / 1000;
	for number in 1..=last {
		let hash = block_hash(node, number).await;
		let now_secs = value_at::<u64>(node, hash, "Timestamp", "Now").await / 1000;
		let mut settled_here = Vec::new();
		for (pallet, event, fields) in node.events(&format!("{hash:?}")).await {
			match (pallet.as_str(), event.as_str()) {
				("SmartContract", "ContractCreated") => {
					let id = field(&fields, "contract_id");
					let kind = match fields.iter().find(|(k, _)| k == "node_id") {
						Some((_, v)) if v.to_string().contains("Some") => Billed::PublicIps(1),
						_ => Billed::Name,
					};
					live.insert(id, (kind, now_secs, number));
				}
				("SmartContract", "ContractBilled") => {
					let id = field(&fields, "contract_id");
					let amount = field(&fields, "amount");
					assert!(
						!settled_here.contains(&id),
						"contract {id} settled twice in block {number}"
					);
					settled_here.push(id);
					let (kind, since, last_block) =
						*live.get(&id).unwrap_or_else(|| panic!("bill of unknown contract {id}"));
					// The hook runs before the block's timestamp is set: its "now" is the parent's.
					let window = previous_now_secs.saturating_sub(since);
					let cost = match kind {
						Billed::Name => name_cost(&prices, window),
						Billed::PublicIps(n) => public_ip_cost(&prices, n, window),
					};
					let gold = DiscountLevel::Gold.pays_percent();
					assert_eq!(
						amount,
						tft_due(cost, price, gold),
						"contract {id} in block {number}: {window} s of {kind:?}"
					);
					assert!(
						number - last_block <= 2 * BILLING_FREQUENCY as u64,
						"contract {id} went unsettled from block {last_block} to {number}"
					);
					live.insert(id, (kind, previous_now_secs, number));
					bills += 1;
					billed_total += amount;
				}
				("SmartContract", "TokensBurned") => burned += field(&fields, "amount"),
				("TransactionPayment", "TransactionFeePaid") => {
					fees += field(&fields, "actual_fee")
				}
				_ => {}
			}
		}
		previous_now_secs = now_secs;
	}
	assert_eq!(live.len(), 3, "three contracts were created");
	for (id, (_, _, last_block)) in &live {
		assert!(
			last - last_block <= 2 * BILLING_FREQUENCY as u64,
			"contract {id} was last settled in block {last_block} of {last}"
		);
	}
	assert!(bills >= 3 * 4, "each contract was billed several times: {bills} bills");
	assert!(billed_total > 0);
	assert_eq!(
		issuance_before - issuance_after,
		burned + fees,
		"the issuance dropped by the TFT burned ({burned}) and the fees ({fees})"
	);
	eprintln!("{bills} bills, {billed_total} units billed, {burned} burned, {fees} in fees");
}
