//! What the runtime's integration tests share: the dev chain's genesis state, and blocks passing
//! with the billing hook.
#![allow(dead_code)]

use frame_support::{traits::Hooks, weights::Weight};
use gridchain_runtime::{Runtime, RuntimeGenesisConfig, System};

/// Milliseconds between blocks.
pub const BLOCK_MS: u64 = 6_000;

/// JSON patch merge (RFC 7396), as chain specs apply a genesis preset to the defaults.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		}
		(base, patch) => *base = patch,
	}
}

/// The dev preset with `extra` merged over it (`Null` for none), built by the runtime's own
/// `GenesisBuilder::build_state`.
pub fn genesis_with(extra: serde_json::Value) -> Result<sp_io::TestExternalities, String> {
	let mut config =
		serde_json::to_value(RuntimeGenesisConfig::default()).expect("default genesis as JSON");
	let preset = gridchain_runtime::genesis_config_presets::get_preset(
		&sp_genesis_builder::PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
	)
	.expect("the dev preset");
	merge(&mut config, serde_json::from_slice(&preset).expect("preset JSON"));
	if !extra.is_null() {
		merge(&mut config, extra);
	}
	let mut ext = sp_io::TestExternalities::new_empty();
	ext.execute_with(|| {
		gridchain_runtime::bench_genesis::build_state(serde_json::to_vec(&config).expect("JSON"))
	})?;
	Ok(ext)
}

/// The dev chain's genesis state.
pub fn dev_genesis() -> sp_io::TestExternalities {
	let mut ext = genesis_with(serde_json::Value::Null).expect("genesis builds");
	ext.execute_with(|| {
		System::set_block_number(1);
		pallet_timestamp::Now::<Runtime>::put(BLOCK_MS);
	});
	ext
}

/// A grid to act on, so that random calls reach past "no such twin": twins for the six endowed
/// accounts, Alice's farm 1 with four IPs and Bob's farm 2 with two, Charlie's node 1 and Dave's
/// node 2 on farm 1, Ferdie's node 3 on farm 2.
/// Pass one block: its number and events, the billing hook, and 6 s more of chain time. Returns
/// the weight the hook declared.
pub fn pass_block() -> Weight {
	let number = System::block_number() + 1;
	System::set_block_number(number);
	System::reset_events();
	let weight = <pallet_smart_contract::Pallet<Runtime> as Hooks<u32>>::on_initialize(number);
	pallet_timestamp::Now::<Runtime>::put(number as u64 * BLOCK_MS);
	weight
}
