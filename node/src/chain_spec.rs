//! Chain specifications: `dev`, `local`, and any JSON file.

use gridchain_runtime::{genesis_config_presets::LOCAL_TESTNET_RUNTIME_PRESET, WASM_BINARY};
use sc_service::ChainType;

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

/// The single-validator development chain (Alice).
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Gridchain Development")
		.with_id("gridchain_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder_dev_preset())
		.with_properties(properties())
		.build())
}

/// A local testnet with Alice, Bob, Charlie and Dave as validators.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Gridchain Local Testnet")
		.with_id("gridchain_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

fn sp_genesis_builder_dev_preset() -> &'static str {
	"development"
}
