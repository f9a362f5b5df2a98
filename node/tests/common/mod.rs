//! Drive a real `gridchain-node --dev --tmp --sealing manual` over RPC, as a client would.
#![allow(dead_code)]

pub mod sealing;

use gridchain_test_support::{free_port, start_node_on, NodeProcess};
use std::time::{Duration, Instant};
use subxt::ext::frame_decode::storage::{IntoDecodableValues, IntoEncodableValues};
use subxt::{
	ext::{scale_decode::DecodeAsType, scale_encode::EncodeAsType},
	rpcs::{rpc_params, RpcClient},
	tx::Payload,
	OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::Keypair;

pub use subxt::dynamic;
pub use subxt_signer::sr25519::dev;

/// 1 TFT in units.
pub const TFT: u128 = 10_000_000;
/// One GiB.
pub const GIB: u64 = 1 << 30;

/// A running dev node, killed on drop.
pub struct DevNode {
	node: NodeProcess,
	pub rpc: RpcClient,
	pub api: OnlineClient<PolkadotConfig>,
	pub url: String,
}

impl DevNode {
	/// Start the node with `--tmp` on a free loopback port and wait until its RPC answers.
	pub async fn start() -> DevNode {
		DevNode::start_with(&["--tmp"]).await
	}

	/// Start the node under manual sealing with extra arguments (e.g. `--base-path DIR`).
	pub async fn start_with(extra: &[&str]) -> DevNode {
		DevNode::start_sealing("manual", extra).await
	}

	/// Start the node with `--sealing SEALING` (`manual` or `instant`) and extra arguments.
	pub async fn start_sealing(sealing: &str, extra: &[&str]) -> DevNode {
		let mut args = vec!["--dev", "--sealing", sealing];
		args.extend_from_slice(extra);
		DevNode::spawn(&args).await
	}

	/// Start `gridchain-node ARGS` with RPC on a free loopback port, p2p on loopback, and wait
	/// until its RPC answers. Its log is `$TMPDIR/gridchain-node-<rpc port>.log`.
	pub async fn spawn(args: &[&str]) -> DevNode {
		let port = free_port();
		let log = std::env::temp_dir().join(format!("gridchain-node-{port}.log"));
		let binary = std::path::Path::new(env!("CARGO_BIN_EXE_gridchain-node"));
		let node = start_node_on(binary, args, port, &log);
		let url = format!("ws://127.0.0.1:{port}");
		let deadline = Instant::now() + Duration::from_secs(180);
		let rpc = loop {
			match RpcClient::from_insecure_url(&url).await {
				Ok(rpc) => break rpc,
				Err(_) if Instant::now() < deadline => {
					tokio::time::sleep(Duration::from_millis(250)).await
				}
				Err(e) => panic!("node RPC did not come up at {url}: {e}; see {}", log.display()),
			}
		};
		let api = OnlineClient::<PolkadotConfig>::from_rpc_client(rpc.clone())
			.await
			.expect("subxt client");
		DevNode { node, rpc, api, url }
	}

	/// Seal one block with `engine_createBlock(create_empty, finalize)`; returns its hash.
	pub async fn seal(&self) -> String {
		let created: serde_json::Value = self
			.rpc
			.request("engine_createBlock", rpc_params![true, true])
			.await
			.expect("block sealed");
		let hash = created["hash"].as_str().expect("block hash").to_string();
		// Return once the client reads state at the new block.
		let expected = subxt::utils::H256::from_slice(&hex_bytes(&hash));
		let deadline = Instant::now() + Duration::from_secs(30);
		loop {
			let at = self.api.at_current_block().await.expect("best block");
			if at.block_hash() == expected {
				return hash;
			}
			assert!(Instant::now() < deadline, "the client never saw block {hash}");
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
	}

	/// Sign `call` with `signer`, seal a block with it and wait for the outcome; returns the
	/// block's hash. `Err` carries the dispatch error's text, e.g. `Registry::TwinExists`.
	pub async fn submit<P: Payload>(&self, call: &P, signer: &Keypair) -> Result<String, String> {
		let at = self.api.at_current_block().await.map_err(|e| e.to_string())?;
		let mut txs = at.transactions();
		let progress = txs
			.sign_and_submit_then_watch_default(call, signer)
			.await
			.map_err(|e| e.to_string())?;
		self.wait_for_pool(1).await;
		let hash = self.seal().await;
		let outcome =
			tokio::time::timeout(Duration::from_secs(60), progress.wait_for_finalized_success())
				.await
				.expect("transaction finalized within a minute");
		outcome.map(|_| hash).map_err(|e| format!("{e}"))
	}

	/// Wait until the pool holds at least `count` ready transactions, so that the next block
	/// includes them.
	pub async fn wait_for_pool(&self, count: usize) {
		let deadline = Instant::now() + Duration::from_secs(30);
		loop {
			let pending: Vec<serde_json::Value> = self
				.rpc
				.request("author_pendingExtrinsics", rpc_params![])
				.await
				.expect("pending extrinsics");
			if pending.len() >= count {
				return;
			}
			assert!(
				Instant::now() < deadline,
				"the pool holds {} of {count} transactions",
				pending.len()
			);
			tokio::time::sleep(Duration::from_millis(20)).await;
		}
	}

	/// Put `call` in the pool signed by `signer` with `nonce`, without sealing; the next `seal`
	/// includes it. Consecutive nonces keep a sender's transactions in order within a block.
	pub async fn send<P: Payload>(&self, call: &P, signer: &Keypair, nonce: u64) {
		let at = self.api.at_current_block().await.expect("best block");
		let mut txs = at.transactions();
		let params = subxt::config::DefaultExtrinsicParamsBuilder::<PolkadotConfig>::new()
			.nonce(nonce)
			.build();
		let pending: Vec<serde_json::Value> = self
			.rpc
			.request("author_pendingExtrinsics", rpc_params![])
			.await
			.expect("pending extrinsics");
		txs.sign_and_submit(call, signer, params).await.expect("transaction accepted by the pool");
		self.wait_for_pool(pending.len() + 1).await;
	}

	/// The next nonce of an account, as of the best block.
	pub async fn nonce(&self, who: [u8; 32]) -> u64 {
		#[derive(DecodeAsType)]
		#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
		struct AccountInfo {
			nonce: u32,
		}
		let info: Option<AccountInfo> = self.storage("System", "Account", (who,)).await;
		info.map(|i| i.nonce as u64).unwrap_or(0)
	}

	/// Seal `n` empty blocks.
	pub async fn seal_blocks(&self, n: u32) {
		for _ in 0..n {
			self.seal().await;
		}
	}

	/// Every event of the block `hash` as `(pallet, event, named fields)`.
	pub async fn events(&self, hash: &str) -> Vec<(String, String, Vec<(String, dynamic::Value)>)> {
		use subxt::ext::scale_value::{Composite, ValueDef};
		let bytes = hex_bytes(hash);
		let hash = subxt::utils::H256::from_slice(&bytes);
		let at = self.api.at_block(hash).await.expect("block");
		let events = at.events().fetch().await.expect("events");
		let mut out = Vec::new();
		for ev in events.iter() {
			let ev = ev.expect("event decodes");
			let (pallet, name) = (ev.pallet_name().to_string(), ev.event_name().to_string());
			let outer: dynamic::Value = ev.decode_as::<dynamic::Value>().expect("event value");
			let mut fields = Vec::new();
			if let ValueDef::Variant(v) = outer.value {
				if let Some(inner) = v.values.into_values().next() {
					if let ValueDef::Variant(e) = inner.value {
						if let Composite::Named(named) = e.values {
							fields =
								named.into_iter().map(|(k, v)| (k, v.remove_context())).collect();
						}
					}
				}
			}
			out.push((pallet, name, fields));
		}
		out
	}

	/// The `u128` field `field` of every `pallet.event` in block `hash`.
	pub async fn event_amounts(
		&self,
		hash: &str,
		pallet: &str,
		event: &str,
		field: &str,
	) -> Vec<u128> {
		self.events(hash)
			.await
			.into_iter()
			.filter(|(p, e, _)| p == pallet && e == event)
			.filter_map(|(_, _, fields)| {
				fields.into_iter().find(|(k, _)| k == field).and_then(|(_, v)| v.as_u128())
			})
			.collect()
	}

	/// Total issuance of TFT.
	pub async fn total_issuance(&self) -> u128 {
		self.storage("Balances", "TotalIssuance", ()).await.expect("issuance")
	}

	/// Chain time, ms.
	pub async fn now_ms(&self) -> u64 {
		self.storage("Timestamp", "Now", ()).await.expect("time")
	}

	/// Run `call` as Root through `Sudo.sudo`, signed by Alice.
	pub async fn sudo<P: Payload>(&self, call: &P) {
		let inner = self.call_value(call).await;
		self.submit(&dynamic::tx("Sudo", "sudo", (inner,)), &dev::alice()).await.expect("sudo");
	}

	/// `call` as a `RuntimeCall` value, to nest it in `Multisig.as_multi` or `Utility.batch`.
	pub async fn call_value<P: Payload>(&self, call: &P) -> dynamic::Value {
		let at = self.api.at_current_block().await.expect("best block");
		let bytes = at.transactions().call_data(call).expect("call encodes");
		let metadata = at.metadata();
		let call_ty = metadata.outer_enums().call_enum_ty();
		subxt::ext::scale_value::scale::decode_as_type(&mut &bytes[..], call_ty, metadata.types())
			.expect("call decodes as RuntimeCall")
			.remove_context()
	}

	/// The free and reserved (held) balance of an account.
	pub async fn balance(&self, who: [u8; 32]) -> (u128, u128) {
		#[derive(DecodeAsType)]
		#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
		struct AccountInfo {
			data: AccountData,
		}
		#[derive(DecodeAsType)]
		#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
		struct AccountData {
			free: u128,
			reserved: u128,
		}
		let info: Option<AccountInfo> = self.storage("System", "Account", (who,)).await;
		info.map(|i| (i.data.free, i.data.reserved)).unwrap_or((0, 0))
	}

	/// Read a storage map entry, `None` if absent.
	pub async fn storage<K, V>(&self, pallet: &str, entry: &str, key: K) -> Option<V>
	where
		K: IntoEncodableValues + IntoDecodableValues,
		V: DecodeAsType,
	{
		let at = self.api.at_current_block().await.expect("best block");
		let addr = dynamic::storage::<K, V>(pallet, entry);
		at.storage()
			.try_fetch(addr, key)
			.await
			.expect("storage read")
			.map(|v| v.decode_as::<V>().expect("value decodes"))
	}

	/// Call a runtime API function.
	pub async fn runtime_api<A, R>(&self, api: &str, function: &str, args: A) -> R
	where
		A: subxt::ext::frame_decode::runtime_apis::IntoEncodableValues,
		R: DecodeAsType,
	{
		let at = self.api.at_current_block().await.expect("best block");
		at.runtime_apis()
			.call(dynamic::runtime_api_call::<A, R>(api, function, args))
			.await
			.expect("runtime api call")
	}
}

impl DevNode {
	/// Stop the node as an operator would (SIGTERM) and wait for it to exit.
	pub fn stop(mut self) {
		self.node.terminate();
	}
}

impl DevNode {
	/// Kill the node without warning (SIGKILL), as a crash would, and wait for it to be gone.
	pub fn crash(mut self) {
		self.node.kill();
	}

	/// The number of block `hash`.
	pub async fn block_number(&self, hash: subxt::utils::H256) -> u64 {
		let header: serde_json::Value =
			self.rpc.request("chain_getHeader", rpc_params![hash]).await.expect("header");
		let number = header["number"].as_str().expect("block number");
		u64::from_str_radix(number.trim_start_matches("0x"), 16).expect("hex block number")
	}

	/// The number of the finalized head.
	pub async fn finalized_number(&self) -> u64 {
		let hash: subxt::utils::H256 = self
			.rpc
			.request("chain_getFinalizedHead", rpc_params![])
			.await
			.expect("finalized head");
		self.block_number(hash).await
	}
}

/// `Registry.create_twin(None, None)`.
pub fn twin() -> impl Payload {
	dynamic::tx("Registry", "create_twin", (None::<[u8; 32]>, None::<Vec<u8>>))
}

/// Alice farms (farm 1, with `ips` public IPs 185.206.122.33, .34, …) and Bob is node 1 on it,
/// with 8 vCPUs, 32 GiB of memory and 1000 GiB of SSD.
pub async fn grid(node: &DevNode, ips: u8) {
	let (alice, bob) = (dev::alice(), dev::bob());
	node.submit(&twin(), &alice).await.expect("alice twin");
	node.submit(&twin(), &bob).await.expect("bob twin");
	node.submit(&dynamic::tx("Registry", "create_farm", (b"farm-one".to_vec(),)), &alice)
		.await
		.expect("farm");
	for i in 0..ips {
		let ip = format!("185.206.122.{}/24", 33 + i).into_bytes();
		let add = dynamic::tx("Registry", "add_farm_ip", (1u32, ip, b"185.206.122.1".to_vec()));
		node.submit(&add, &alice).await.expect("ip");
	}
	let resources = Resources { cru: 8, mru: 32 * GIB, sru: 1000 * GIB, hru: 0 };
	let create =
		dynamic::tx("Registry", "create_node", (1u32, resources, Location::new("BE", "Ghent")));
	node.submit(&create, &bob).await.expect("node");
}

/// A contract's state as stored.
#[derive(DecodeAsType, Debug, PartialEq)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub enum ContractState {
	Created,
	Deployed,
	GracePeriod(u32),
	Deleted(subxt::ext::scale_value::Value),
}

/// `Resources` as a call argument.
#[derive(EncodeAsType, DecodeAsType, Debug, Clone, Copy, PartialEq, Eq)]
#[encode_as_type(crate_path = "subxt::ext::scale_encode")]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub struct Resources {
	pub cru: u64,
	pub sru: u64,
	pub hru: u64,
	pub mru: u64,
}

/// `Location` as a call argument.
#[derive(EncodeAsType, DecodeAsType, Debug, Clone, PartialEq, Eq)]
#[encode_as_type(crate_path = "subxt::ext::scale_encode")]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub struct Location {
	pub country: Vec<u8>,
	pub city: Vec<u8>,
	pub latitude: Vec<u8>,
	pub longitude: Vec<u8>,
}

impl Location {
	pub fn new(country: &str, city: &str) -> Location {
		Location {
			country: country.into(),
			city: city.into(),
			latitude: b"51.05".to_vec(),
			longitude: b"3.72".to_vec(),
		}
	}
}

fn hex_bytes(text: &str) -> Vec<u8> {
	let text = text.trim_start_matches("0x");
	(0..text.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
		.collect()
}
