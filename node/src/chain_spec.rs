//! Chain specifications: `dev`, `local`, and any JSON file.

use gridchain_runtime::{genesis_config_presets::LOCAL_TESTNET_RUNTIME_PRESET, WASM_BINARY};
use sc_service::ChainType;
use std::path::Path;

/// A chain spec of this runtime.
pub type ChainSpec = sc_service::GenericChainSpec;

fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), "TFT".into());
	properties.insert("tokenDecimals".into(), 7.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| "The runtime's wasm binary is not available".to_string())
}

/// The single-validator development chain (Alice); its genesis built with `--wasmtime-cache`'s
/// `cache` if given.
pub fn development_chain_spec(cache: Option<&Path>) -> Result<ChainSpec, String> {
	let spec = ChainSpec::builder(wasm()?, None)
		.with_name("Gridchain Development")
		.with_id("gridchain_dev")
		.with_chain_type(ChainType::Development)
		.with_properties(properties());
	preset_spec(spec, sp_genesis_builder_dev_preset(), cache)
}

/// A local testnet with Alice, Bob, Charlie and Dave as validators; `cache` as above.
pub fn local_chain_spec(cache: Option<&Path>) -> Result<ChainSpec, String> {
	let spec = ChainSpec::builder(wasm()?, None)
		.with_name("Gridchain Local Testnet")
		.with_id("gridchain_local")
		.with_chain_type(ChainType::Local)
		.with_properties(properties());
	preset_spec(spec, LOCAL_TESTNET_RUNTIME_PRESET, cache)
}

/// `spec` with the runtime's genesis preset `preset`. With a cache its genesis is the state the
/// preset builds, built through the cache (`wasmtime_cache::genesis_storage`) and held raw,
/// where sc-chain-spec would compile the runtime twice to build it each time the node starts.
fn preset_spec(
	spec: sc_chain_spec::ChainSpecBuilder<Option<()>>,
	preset: &str,
	cache: Option<&Path>,
) -> Result<ChainSpec, String> {
	let Some(cache) = cache else {
		return Ok(spec.with_genesis_config_preset_name(preset).build());
	};
	let storage = crate::wasmtime_cache::genesis_storage(wasm()?, preset, cache)?;
	// The spec's JSON with an empty patch for genesis (written without calling the runtime),
	// then its raw storage in the place of the patch, in the format of `build-spec --raw`.
	let json = spec.with_genesis_config_patch(serde_json::json!({})).build().as_json(false)?;
	let mut json: serde_json::Value =
		serde_json::from_str(&json).map_err(|e| format!("the chain spec's JSON: {e}"))?;
	let hex_map = |map: std::collections::BTreeMap<Vec<u8>, Vec<u8>>| -> serde_json::Value {
		map.into_iter()
			.map(|(k, v)| {
				(sp_core::bytes::to_hex(&k, false), sp_core::bytes::to_hex(&v, false).into())
			})
			.collect::<serde_json::Map<_, _>>()
			.into()
	};
	let children: serde_json::Map<_, _> = storage
		.children_default
		.into_iter()
		.map(|(key, child)| (sp_core::bytes::to_hex(&key, false), hex_map(child.data)))
		.collect();
	json["genesis"] =
		serde_json::json!({ "raw": { "top": hex_map(storage.top), "childrenDefault": children } });
	let bytes = serde_json::to_vec(&json).map_err(|e| format!("the chain spec's JSON: {e}"))?;
	ChainSpec::from_json_bytes(bytes)
}

fn sp_genesis_builder_dev_preset() -> &'static str {
	"development"
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::BuildStorage;

	/// A spec's JSON without its genesis.
	fn header(spec: &ChainSpec) -> serde_json::Value {
		let mut json: serde_json::Value = spec
			.as_json(false)
			.ok()
			.and_then(|j| serde_json::from_str(&j).ok())
			.unwrap_or_default();
		json["genesis"] = serde_json::Value::Null;
		json
	}

	#[test]
	fn a_spec_built_through_the_cache_has_the_genesis_and_the_header_of_the_preset() {
		let cache =
			std::env::temp_dir().join(format!("gridchain-spec-cache-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&cache);
		assert_eq!(crate::wasmtime_cache::open(&cache), Ok(()));
		type Build = fn(Option<&Path>) -> Result<ChainSpec, String>;
		for (name, build) in [("dev", development_chain_spec as Build), ("local", local_chain_spec)]
		{
			let preset = build(None).unwrap_or_else(|e| panic!("{name}: {e}"));
			let cached = build(Some(&cache)).unwrap_or_else(|e| panic!("{name} cached: {e}"));
			let want = preset.build_storage().unwrap_or_else(|e| panic!("{name}: {e}"));
			let got = cached.build_storage().unwrap_or_else(|e| panic!("{name} cached: {e}"));
			assert!(want.top.len() > 10, "{name}: {} keys", want.top.len());
			assert_eq!(got.top, want.top, "{name}: the same genesis state");
			assert_eq!(got.children_default.len(), want.children_default.len());
			assert_eq!(
				header(&cached),
				header(&preset),
				"{name}: the same name, id, type, properties"
			);
		}
		// The compiled runtime is in the cache for the next start.
		let modules = std::fs::read_dir(cache.join("modules")).map(|d| d.count()).unwrap_or(0);
		assert!(modules > 0, "nothing compiled was kept in {}", cache.display());
		let _ = std::fs::remove_dir_all(&cache);
	}
}
