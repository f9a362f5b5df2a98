//! End to end: the dev chain itself, as a client sees it.

mod common;

use common::{sealing::transfer_until_finalized, *};
use subxt::ext::scale_decode::DecodeAsType;

#[tokio::test]
async fn dev_chain_has_the_spec_genesis_and_six_second_blocks() {
	let node = DevNode::start().await;

	// Pricing policy 1 and the TFT price of SPEC §2.
	#[derive(DecodeAsType, Debug)]
	#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
	struct Policy {
		cu: u64,
		su: u64,
		nu: u64,
		ipu: u64,
		unique_name: u64,
		foundation_account: [u8; 32],
		sales_account: [u8; 32],
	}
	let p: Policy = node.storage("Registry", "PricingPolicies", (1u32,)).await.expect("policy 1");
	assert_eq!(
		(p.cu, p.su, p.nu, p.ipu, p.unique_name),
		(305_600, 194_400, 50_000, 69_400, 13_900)
	);
	assert_eq!(p.foundation_account, dev::eve().public_key().0);
	assert_eq!(p.sales_account, dev::ferdie().public_key().0);
	let price: Option<u32> = node.storage("TftPrice", "TftPrice", ()).await;
	let (min, max): (Option<u32>, Option<u32>) = (
		node.storage("TftPrice", "MinTftPrice", ()).await,
		node.storage("TftPrice", "MaxTftPrice", ()).await,
	);
	assert_eq!((price, min, max), (Some(50), Some(10), Some(1000)));

	// Every sealed block advances chain time by exactly 6 s.
	node.seal().await;
	let t1: Option<u64> = node.storage("Timestamp", "Now", ()).await;
	node.seal().await;
	node.seal().await;
	let t3: Option<u64> = node.storage("Timestamp", "Now", ()).await;
	assert_eq!(t3.expect("time") - t1.expect("time"), 12_000);

	// The oracle sets the price over RPC.
	node.submit(&dynamic::tx("TftPrice", "set_price", (70u32,)), &dev::alice())
		.await
		.expect("price");
	let avg: Option<u32> = node.storage("TftPrice", "AverageTftPrice", ()).await;
	assert_eq!(avg, Some(60));
	let err = node
		.submit(&dynamic::tx("TftPrice", "set_price", (70u32,)), &dev::bob())
		.await
		.expect_err("bob is no oracle");
	assert!(err.contains("NotAnOracle"), "unexpected error: {err}");
}

#[tokio::test]
async fn clients_see_the_pallets_calls_and_token_of_the_spec() {
	let node = DevNode::start().await;

	let props: serde_json::Value = node
		.rpc
		.request("system_properties", subxt::rpcs::rpc_params![])
		.await
		.expect("properties");
	assert_eq!(props["tokenSymbol"], "TFT");
	assert_eq!(props["tokenDecimals"], 7);
	assert_eq!(props["ss58Format"], 42);

	let at = node.api.at_current_block().await.expect("best block");
	let metadata = at.metadata();
	for pallet in ["Registry", "TftPrice", "Balances", "Multisig", "Utility", "Council", "Sudo"] {
		assert!(metadata.pallet_by_name(pallet).is_some(), "pallet {pallet} missing");
	}
	let expect_calls = |pallet: &str, calls: &[&str]| {
		let p = metadata.pallet_by_name(pallet).expect("pallet");
		for call in calls {
			assert!(p.call_variant_by_name(call).is_some(), "{pallet}.{call} missing");
		}
	};
	expect_calls(
		"Registry",
		&[
			"create_twin",
			"update_twin",
			"create_farm",
			"add_farm_ip",
			"remove_farm_ip",
			"create_node",
			"update_node",
			"delete_node",
			"set_node_certification",
			"set_farm_dedicated",
			"create_pricing_policy",
			"update_pricing_policy",
		],
	);
	expect_calls("TftPrice", &["set_price", "set_min_price", "set_max_price"]);
	let create_node = metadata
		.pallet_by_name("Registry")
		.and_then(|p| p.call_variant_by_name("create_node"))
		.expect("create_node");
	let params: Vec<_> = create_node.fields.iter().filter_map(|f| f.name.as_deref()).collect();
	assert_eq!(params, vec!["farm_id", "resources", "location"]);
}

#[tokio::test]
async fn state_under_base_path_survives_a_restart() {
	let dir = std::env::temp_dir().join(format!("gridchain-restart-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	let base = dir.to_string_lossy().to_string();

	let node = DevNode::start_with(&["--base-path", &base]).await;
	node.submit(
		&dynamic::tx("Registry", "create_twin", (None::<[u8; 32]>, None::<Vec<u8>>)),
		&dev::alice(),
	)
	.await
	.expect("twin");
	node.seal().await;
	let before: Option<u64> = node.storage("Timestamp", "Now", ()).await;
	node.stop();

	let node = DevNode::start_with(&["--base-path", &base]).await;
	let twin: Option<u32> =
		node.storage("Registry", "TwinIdByAccount", (dev::alice().public_key().0,)).await;
	assert_eq!(twin, Some(1));
	// Sealing goes on from the stored chain, one slot later.
	node.seal().await;
	let after: Option<u64> = node.storage("Timestamp", "Now", ()).await;
	assert_eq!(after.expect("time") - before.expect("time"), 6_000);
	node.stop();
	let _ = std::fs::remove_dir_all(&dir);
}

/// On real 6 s Aura blocks the dev chain's one validator votes for its best block, so a
/// transaction is final while the block it landed in is still the best one, or the one after:
/// not two blocks behind it, as a chain of several validators finalizes (issue 29).
#[tokio::test]
async fn on_aura_blocks_a_transfer_is_final_before_two_more_blocks_are_made() {
	let node = DevNode::spawn(&["--dev", "--tmp"]).await;
	let (_, landed) = transfer_until_finalized(&node).await;
	let best: serde_json::Value =
		node.rpc.request("chain_getHeader", subxt::rpcs::rpc_params![]).await.expect("header");
	let best = u64::from_str_radix(
		best["number"].as_str().expect("block number").trim_start_matches("0x"),
		16,
	)
	.expect("hex block number");
	assert!(landed >= 1, "the transfer is in a block");
	assert!(best <= landed + 1, "block {landed} was finalized only once block {best} was made");
}

/// `--wasmtime-cache` changes how a running node builds its genesis (`chain_spec.rs`'s tests
/// compare the state), not the spec it writes out: `build-spec --dev` names the preset with the
/// cache as without it.
#[test]
fn the_spec_written_out_names_its_preset_with_a_wasmtime_cache_too() {
	let cache = std::env::temp_dir().join(format!("gridchain-spec-out-{}", std::process::id()));
	let spec = |cache: Option<&std::path::Path>| {
		let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gridchain-node"));
		cmd.args(["build-spec", "--dev"]).env_remove("GRIDCHAIN_WASMTIME_CACHE");
		if let Some(dir) = cache {
			cmd.env("GRIDCHAIN_WASMTIME_CACHE", dir);
		}
		let out = cmd.output().expect("gridchain-node build-spec");
		assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
		serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("a JSON spec")
	};
	let without = spec(None);
	let patch = &without["genesis"]["runtimeGenesis"]["patch"];
	assert!(patch["balances"].is_object(), "the preset's config: {patch}");
	// The boot node `build-spec --dev` adds has a key of its own each run: the genesis is compared.
	let with = spec(Some(&cache));
	assert!(with["genesis"] == without["genesis"], "with the cache: {}", with["genesis"]["raw"]);
	let _ = std::fs::remove_dir_all(&cache);
}
