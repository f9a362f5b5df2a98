//! `try-runtime` against a real dev chain's state: the test starts `gridchain-node --dev`, gives it
//! a grid with the `grid` CLI (twins, a farm with IPs, a node, a node contract holding an IP, a
//! name contract, billing passes), downloads the whole state at the finalized head over RPC,
//! checks it is exact (its root is the header's state root), then runs the runtime's
//! `on_runtime_upgrade` with every pre/post check and every pallet's `try_state` on it. A state
//! that breaks an invariant, or a pallet whose stored version differs from its code's (a
//! migration missing), must fail the same run.
//!
//! Runs with `--features try-runtime` (`./scripts/test.sh` does), after `gridchain-node` and
//! `grid` are built in the same target directory (`cargo test --workspace` builds them), or from
//! `GRIDCHAIN_BIN_DIR`.
#![cfg(feature = "try-runtime")]

use codec::{Decode, Encode};
use frame_support::traits::{StorageVersion, TryState, TryStateSelect};
use frame_try_runtime::UpgradeCheckSelect;
use gridchain_runtime::{Executive, Runtime};
use serde_json::{json, Value};
use sp_core::{storage::StateVersion, H256};
use std::{
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// Ferdie's address on the dev chain.
const FERDIE: &str = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL";

/// Where `gridchain-node` and `grid` are: `GRIDCHAIN_BIN_DIR`, else next to this test's `deps/`.
fn bin_dir() -> PathBuf {
	if let Some(dir) = std::env::var_os("GRIDCHAIN_BIN_DIR") {
		return dir.into();
	}
	let exe = std::env::current_exe().expect("the test's path");
	exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>").to_path_buf()
}

fn binary(name: &str) -> PathBuf {
	let path = bin_dir().join(name);
	assert!(
		path.exists(),
		"{} is missing: build it first (`cargo build -p gridchain-node -p gridchain-cli`) or set \
		 GRIDCHAIN_BIN_DIR",
		path.display()
	);
	path
}

struct Node {
	child: Child,
	port: u16,
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

impl Node {
	fn start() -> Node {
		let port = TcpListener::bind("127.0.0.1:0")
			.and_then(|l| l.local_addr())
			.map(|a| a.port())
			.expect("a free port");
		let log = std::env::temp_dir().join(format!("gridchain-node-try-runtime-{port}.log"));
		let child = Command::new(binary("gridchain-node"))
			.args(["--dev", "--tmp", "--sealing", "instant", "--rpc-port", &port.to_string()])
			.args(["--listen-addr", "/ip4/127.0.0.1/tcp/0", "--no-prometheus", "--no-telemetry"])
			.args(["--no-mdns", "--rpc-max-response-size", "64"])
			.stdout(Stdio::null())
			.stderr(std::fs::File::create(&log).expect("log file"))
			.spawn()
			.expect("gridchain-node starts");
		let node = Node { child, port };
		let deadline = Instant::now() + Duration::from_secs(120);
		while node.try_rpc("system_health", json!([])).is_err() {
			assert!(
				Instant::now() < deadline,
				"the node's RPC never answered; see {}",
				log.display()
			);
			std::thread::sleep(Duration::from_millis(250));
		}
		node
	}

	fn url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.port)
	}

	/// One JSON-RPC call over HTTP (the node serves HTTP and WebSocket on one port).
	fn try_rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		let body =
			json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
		let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
		write!(
			stream,
			"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
			 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
			body.len()
		)
		.map_err(|e| e.to_string())?;
		let mut response = String::new();
		stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
		let (head, body) = response.split_once("\r\n\r\n").ok_or("no HTTP body")?;
		if !head.starts_with("HTTP/1.1 200") {
			return Err(head.lines().next().unwrap_or_default().to_string());
		}
		let reply: Value = serde_json::from_str(body).map_err(|e| format!("{e}: {body}"))?;
		match reply.get("error") {
			Some(error) => Err(error.to_string()),
			None => Ok(reply["result"].clone()),
		}
	}

	fn rpc(&self, method: &str, params: Value) -> Value {
		self.try_rpc(method, params).unwrap_or_else(|e| panic!("{method}: {e}"))
	}

	/// `grid --url … --key SURI ARGS`, which must succeed.
	fn grid(&self, key: &str, args: &[&str]) -> String {
		let output = Command::new(binary("grid"))
			.env("XDG_CONFIG_HOME", std::env::temp_dir().join(format!("grid-try-{}", self.port)))
			.args(["--url", &self.url(), "--key", key])
			.args(args)
			.output()
			.expect("grid runs");
		assert!(
			output.status.success(),
			"grid {args:?}: {}",
			String::from_utf8_lossy(&output.stderr)
		);
		String::from_utf8_lossy(&output.stdout).into_owned()
	}
}

fn hex_bytes(value: &Value) -> Vec<u8> {
	let text = value.as_str().expect("hex text");
	sp_core::bytes::from_hex(text).expect("hex")
}

/// Every key and value of the state at `at`, paged as the RPC allows.
fn download_state(node: &Node, at: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
	let mut pairs = Vec::new();
	let mut start: Option<String> = None;
	loop {
		let keys = node.rpc("state_getKeysPaged", json!(["0x", 1000, start, at]));
		let keys: Vec<String> = keys
			.as_array()
			.expect("keys")
			.iter()
			.map(|k| k.as_str().expect("key").into())
			.collect();
		if keys.is_empty() {
			return pairs;
		}
		let sets = node.rpc("state_queryStorageAt", json!([keys, at]));
		for change in sets[0]["changes"].as_array().expect("changes") {
			let value = &change[1];
			assert!(!value.is_null(), "key {} listed without a value", change[0]);
			pairs.push((hex_bytes(&change[0]), hex_bytes(value)));
		}
		start = keys.last().cloned();
	}
}

fn externalities(pairs: &[(Vec<u8>, Vec<u8>)]) -> sp_io::TestExternalities {
	let mut ext =
		sp_io::TestExternalities::new_with_state_version(Default::default(), StateVersion::V1);
	for (key, value) in pairs {
		ext.insert(key.clone(), value.clone());
	}
	ext.commit_all().expect("the downloaded state commits");
	ext
}

/// The runtime upgrade with all its checks, then every pallet's `try_state` once more.
fn upgrade_and_check(pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<(), String> {
	let mut ext = externalities(pairs);
	ext.execute_with(|| {
		// The upgrade's own error is generic; the pallets' invariants say which one broke.
		let weight = Executive::try_runtime_upgrade(UpgradeCheckSelect::All).map_err(|e| {
			format!(
				"on_runtime_upgrade: {e:?}; SmartContract: {:?}; Registry: {:?}; TftPrice: {:?}",
				pallet_smart_contract::Pallet::<Runtime>::do_try_state(),
				pallet_registry::Pallet::<Runtime>::do_try_state(),
				pallet_tft_price::Pallet::<Runtime>::do_try_state(),
			)
		})?;
		let max = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
		if !weight.all_lte(max) {
			return Err(format!("the upgrade weighs {weight:?}, more than a block"));
		}
		let head = frame_system::Pallet::<Runtime>::block_number();
		<gridchain_runtime::AllPalletsWithSystem as TryState<_>>::try_state(
			head,
			TryStateSelect::All,
		)
		.map_err(|e| format!("try_state: {e:?}"))
	})
}

/// The state with some keys set to a value, or removed (`None`).
fn edited(
	pairs: &[(Vec<u8>, Vec<u8>)],
	edits: &[(Vec<u8>, Option<Vec<u8>>)],
) -> Vec<(Vec<u8>, Vec<u8>)> {
	let mut state: Vec<_> =
		pairs.iter().filter(|(k, _)| edits.iter().all(|(e, _)| e != k)).cloned().collect();
	state.extend(edits.iter().filter_map(|(k, v)| Some((k.clone(), v.clone()?))));
	state
}

#[test]
fn the_runtime_upgrade_and_try_state_pass_on_a_dev_chain_and_catch_a_broken_one() {
	let node = Node::start();
	node.grid("//Alice", &["twin", "create"]);
	node.grid("//Alice", &["farm", "create", "try-farm"]);
	for host in [33, 34] {
		let ip = format!("185.206.122.{host}/24");
		node.grid("//Alice", &["farm", "add-ip", "1", &ip, "185.206.122.1"]);
	}
	node.grid("//Bob", &["twin", "create"]);
	node.grid(
		"//Bob",
		&["node", "create", "--farm", "1", "--cru", "16", "--mru", "64G", "--sru", "1T"]
			.iter()
			.chain(&["--country", "BE", "--city", "Ghent"])
			.copied()
			.collect::<Vec<_>>(),
	);
	node.grid("//Charlie", &["twin", "create"]);
	let document = std::env::temp_dir().join(format!("try-runtime-{}.json", node.port));
	let document = document.to_str().expect("a UTF-8 path");
	node.grid(
		"//Charlie",
		&["deployment", "new", "--image", "ubuntu:24.04", "--public-ip", "-o", document],
	);
	node.grid("//Charlie", &["contract", "create", "--node", "1", document]);
	node.grid("//Charlie", &["name", "reserve", "try-runtime"]);
	// Enough blocks for billing passes (every 10 blocks on the dev chain).
	for _ in 0..12 {
		node.grid("//Dave", &["transfer", FERDIE, "1"]);
	}

	let head = node.rpc("chain_getFinalizedHead", json!([]));
	let at = head.as_str().expect("a hash").to_string();
	let header = node.rpc("chain_getHeader", json!([at]));
	let pairs = download_state(&node, &at);
	let root = externalities(&pairs).execute_with(|| sp_io::storage::root(StateVersion::V1));
	assert_eq!(
		H256::from_slice(&root),
		H256::from_slice(&hex_bytes(&header["stateRoot"])),
		"the downloaded state is not the chain's"
	);
	let contracts_prefix = twox_prefix(b"SmartContract", b"Contracts");
	let live = pairs.iter().filter(|(k, _)| k.starts_with(&contracts_prefix)).count();
	assert_eq!(live, 2, "the node contract and the name contract are live");

	upgrade_and_check(&pairs).expect("the dev chain's state passes");

	// The same chain as storage version 3 of SmartContract stored it: the v4 migration gives
	// each contract its declared capacity and each node its sum; its own pre/post checks and
	// every `try_state` pass.
	let version = |pallet: &[u8]| twox_prefix(pallet, b":__STORAGE_VERSION__:");
	let version_3 = as_version_3(&pairs);
	assert!(
		upgrade_and_check(&pairs_without_node_declared(&pairs)).is_err(),
		"a version 4 chain that lost NodeDeclared passes try_state"
	);
	upgrade_and_check(&version_3).expect("the v4 migration upgrades a version 3 chain");

	// And with TftPrice still at storage version 1 (no `BillingTftPrice`): its migration moves
	// it to version 2. Without it, `try_state` fails on the missing price.
	let version_1_price = edited(
		&version_3,
		&[
			(version(b"TftPrice"), Some(StorageVersion::new(1).encode())),
			(twox_prefix(b"TftPrice", b"BillingTftPrice"), None),
		],
	);
	upgrade_and_check(&version_1_price).expect("the migrations upgrade an older chain");
	eprintln!(
		"{} keys at finalized block {} passed, and as SmartContract version 3 and TftPrice \
		 version 1",
		pairs.len(),
		header["number"]
	);

	let last_id_key = twox_prefix(b"SmartContract", b"LastContractId");
	let last_id = pairs
		.iter()
		.find(|(k, _)| *k == last_id_key)
		.map(|(_, v)| u64::decode(&mut &v[..]).expect("the last id decodes"))
		.expect("the last contract id");

	// A last contract id below a live contract's: try_state fails.
	let broken = edited(&pairs, &[(last_id_key, Some((last_id - 1).encode()))]);
	let error = upgrade_and_check(&broken).expect_err("a wrong last id is caught");
	assert!(error.contains("a contract id above LastContractId"), "{error}");
	eprintln!("a wrong last contract id: {error}");

	// A stored pallet version other than the code's — a migration not written: the upgrade
	// check fails.
	let stored =
		edited(&pairs, &[(version(b"SmartContract"), Some(StorageVersion::new(7).encode()))]);
	let error = upgrade_and_check(&stored).expect_err("a storage version mismatch is caught");
	assert!(error.contains("storage version do not match"), "{error}");
	eprintln!("a stored version 7: {error}");
}

/// The state without `NodeDeclared`: what a version 3 chain lacks.
fn pairs_without_node_declared(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<(Vec<u8>, Vec<u8>)> {
	let declared = twox_prefix(b"SmartContract", b"NodeDeclared");
	pairs.iter().filter(|(k, _)| !k.starts_with(&declared)).cloned().collect()
}

/// The state as storage version 3 of SmartContract held it: each contract without its declared
/// capacity and without `ever_deployed`, no `NodeDeclared`.
fn as_version_3(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<(Vec<u8>, Vec<u8>)> {
	let contracts = twox_prefix(b"SmartContract", b"Contracts");
	let state: Vec<_> = pairs_without_node_declared(pairs)
		.into_iter()
		.map(|(key, value)| {
			if !key.starts_with(&contracts) {
				return (key, value);
			}
			let contract = pallet_smart_contract::ContractOf::<Runtime>::decode(&mut &value[..])
				.expect("a contract decodes");
			let old = pallet_smart_contract::migrations::v4::ContractV3::of(&contract);
			(key, old.encode())
		})
		.collect();
	edited(
		&state,
		&[(
			twox_prefix(b"SmartContract", b":__STORAGE_VERSION__:"),
			Some(StorageVersion::new(3).encode()),
		)],
	)
}

fn twox_prefix(pallet: &[u8], item: &[u8]) -> Vec<u8> {
	[sp_io::hashing::twox_128(pallet), sp_io::hashing::twox_128(item)].concat()
}
