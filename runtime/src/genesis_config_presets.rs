//! Genesis presets (SPEC §2): `dev` (Alice validates and is sudo, six endowed accounts) and
//! `local` (Alice, Bob, Charlie and Dave validate).

use crate::{
	AccountId, Balance, BalancesConfig, BlockNumber, RuntimeGenesisConfig, SudoConfig,
	UNITS_PER_TFT,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use gridchain_primitives::UnitPrices;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::Percent;

/// What each dev account starts with: 1,000,000 TFT.
pub const ENDOWMENT: Balance = 1_000_000 * UNITS_PER_TFT;
/// Dev TFT price, mUSD.
pub const DEV_TFT_PRICE_MUSD: u32 = 50;
/// Dev lower price bound, mUSD.
pub const DEV_MIN_TFT_PRICE_MUSD: u32 = 10;
/// Dev upper price bound, mUSD.
pub const DEV_MAX_TFT_PRICE_MUSD: u32 = 1000;
/// The `local` testnet preset id.
pub const LOCAL_TESTNET_RUNTIME_PRESET: &str = "local_testnet";

/// Dev billing: every 10 blocks, 100 blocks of grace.
pub const DEV_BILLING: (BlockNumber, BlockNumber) = (10, 100);
/// Production billing: every 600 blocks (1 h), 14 days of grace.
pub const PRODUCTION_BILLING: (BlockNumber, BlockNumber) = (600, 14 * crate::DAYS);

fn genesis(
	authorities: Vec<(AuraId, GrandpaId)>,
	endowed: Vec<AccountId>,
	root: AccountId,
	council: Vec<AccountId>,
	(billing_frequency, grace_period_blocks): (BlockNumber, BlockNumber),
) -> Value {
	let foundation = Sr25519Keyring::Eve.to_account_id();
	let sales = Sr25519Keyring::Ferdie.to_account_id();
	let mut balances: Vec<(AccountId, Balance)> =
		endowed.iter().cloned().map(|k| (k, ENDOWMENT)).collect();
	// The staking pool exists from genesis, so that any share can be paid into it.
	balances.push((crate::configs::StakingPoolAccount::get(), UNITS_PER_TFT));
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances },
		aura: pallet_aura::GenesisConfig {
			authorities: authorities.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: authorities.iter().map(|x| (x.1.clone(), 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root.clone()) },
		council_membership: pallet_membership::GenesisConfig {
			members: council.try_into().unwrap_or_default()
		},
		registry: pallet_registry::GenesisConfig {
			pricing_policies: vec![(
				b"policy 1".to_vec(),
				UnitPrices::GENESIS,
				Percent::from_percent(50),
				foundation,
				sales,
			)],
		},
		tft_price: pallet_tft_price::GenesisConfig {
			price_musd: DEV_TFT_PRICE_MUSD,
			min_price_musd: DEV_MIN_TFT_PRICE_MUSD,
			max_price_musd: DEV_MAX_TFT_PRICE_MUSD,
			oracles: vec![root],
		},
		smart_contract: pallet_smart_contract::GenesisConfig {
			billing_frequency,
			grace_period_blocks
		},
	})
}

fn authority(aura: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AuraId, GrandpaId) {
	(aura.public().into(), grandpa.public().into())
}

fn dev_accounts() -> Vec<AccountId> {
	[
		Sr25519Keyring::Alice,
		Sr25519Keyring::Bob,
		Sr25519Keyring::Charlie,
		Sr25519Keyring::Dave,
		Sr25519Keyring::Eve,
		Sr25519Keyring::Ferdie,
	]
	.iter()
	.map(|k| k.to_account_id())
	.collect()
}

/// The `dev` preset: Alice validates, is sudo and the price oracle.
pub fn development_config_genesis() -> Value {
	genesis(
		vec![authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		dev_accounts().into_iter().take(5).collect(),
		DEV_BILLING,
	)
}

/// The `local` preset: Alice, Bob, Charlie and Dave validate.
pub fn local_config_genesis() -> Value {
	genesis(
		vec![
			authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			authority(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			authority(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			authority(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		dev_accounts().into_iter().take(5).collect(),
		PRODUCTION_BILLING,
	)
}

/// The preset named `id`, as JSON.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The names of the presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
