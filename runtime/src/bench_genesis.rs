//! The scale run's genesis (issue 12, `scripts/scale-run.sh`): a chain that starts with N live
//! node contracts, an hour of reported usage on each, and a billing pass due from block 1.
//!
//! A chain spec asks for it with a `bench` member next to the pallets' configs in its genesis
//! patch:
//!
//! ```json
//! "bench": { "contracts": 1000000, "contractsPerNode": 500, "nodesPerFarm": 50,
//!            "dataBytes": 512, "nowSecs": 1796000000 }
//! ```
//!
//! Everything is made by the pallets' own calls, signed by accounts derived from a role and an
//! index (nobody holds their keys): per farm a farmer twin and its farm; per node a twin and the
//! node (64 vCPU, 256 GiB memory, 4 TiB SSD); per contract an owner funded with 1,000 TFT, its
//! twin and one node contract with `dataBytes` of deployment data (the deposit held). Chain time
//! is set an hour before `nowSecs` while the contracts are created, then to `nowSecs`, when each
//! node reports an hour of usage for its contracts (1 vCPU, 2 GiB memory, 50 GiB SSD, 1 GB of
//! traffic) in batches of 256. So every index, hold and counter is what a real chain holding
//! those contracts would store, and settling each one withdraws TFT. Last, a billing pass is put
//! in place so that it runs from block 1 rather than waiting for the next multiple of the billing
//! frequency.
//!
//! Without a `bench` member genesis is built as usual; the member is never stored.

use crate::{AccountId, Balances, Registry, Runtime, RuntimeOrigin, SmartContract, UNITS_PER_TFT};
use alloc::{format, string::String, vec, vec::Vec};
use codec::Encode;
use frame_support::traits::fungible::Mutate;
use gridchain_primitives::{Resources, GIB};
use pallet_registry::LocationInput;
use pallet_smart_contract::{BillingPassState, Consumption, MAX_REPORTS};
use serde_json::Value;
use sp_runtime::traits::{BlakeTwo256, Hash};

/// What each contract owner starts with.
const OWNER_FUNDS: u128 = 1_000 * UNITS_PER_TFT;
/// What each farmer and node account starts with.
const OPERATOR_FUNDS: u128 = 10 * UNITS_PER_TFT;

/// The `bench` member of a genesis patch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchGrid {
	/// Live node contracts to create.
	pub contracts: u32,
	/// Contracts per node.
	pub contracts_per_node: u32,
	/// Nodes per farm.
	pub nodes_per_farm: u32,
	/// Bytes of deployment data per contract.
	pub data_bytes: u32,
	/// Chain time at genesis, unix seconds.
	pub now_secs: u64,
}

/// Take the `bench` member out of a genesis config: the config without it, and what it asks for.
pub fn take_bench(config: Vec<u8>) -> Result<(Vec<u8>, Option<BenchGrid>), String> {
	let mut json: Value = match serde_json::from_slice(&config) {
		Ok(json) => json,
		// Not for us to judge: the genesis builder reports what is wrong with it.
		Err(_) => return Ok((config, None)),
	};
	let Some(bench) = json.as_object_mut().and_then(|members| members.remove("bench")) else {
		return Ok((config, None));
	};
	let field = |name: &str, default: Option<u64>| -> Result<u64, String> {
		match bench.get(name) {
			Some(value) => value
				.as_u64()
				.ok_or_else(|| format!("bench.{name}: expected a non-negative integer")),
			None => default.ok_or_else(|| format!("bench.{name}: missing")),
		}
	};
	let small = |name: &str, default: Option<u64>| -> Result<u32, String> {
		let value = field(name, default)?;
		u32::try_from(value)
			.ok()
			.filter(|v| *v > 0)
			.ok_or_else(|| format!("bench.{name}: expected 1..={}, got {value}", u32::MAX))
	};
	let grid = BenchGrid {
		contracts: small("contracts", None)?,
		contracts_per_node: small("contractsPerNode", Some(500))?,
		nodes_per_farm: small("nodesPerFarm", Some(50))?,
		data_bytes: small("dataBytes", Some(512))?,
		now_secs: field("nowSecs", None)?,
	};
	let most = pallet_smart_contract::MAX_CONTRACTS_PER_NODE;
	if grid.contracts_per_node > most {
		return Err(format!(
			"bench.contractsPerNode: a node holds at most {most} contracts (MaxContractsPerNode)"
		));
	}
	if grid.now_secs < 3600 {
		return Err("bench.nowSecs: expected unix seconds".into());
	}
	let config = serde_json::to_vec(&json).map_err(|e| format!("genesis config: {e}"))?;
	Ok((config, Some(grid)))
}

/// The runtime's `GenesisBuilder::build_state`: the pallets' genesis configs, then the `bench`
/// grid when the config asks for one.
pub fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
	let (config, bench) = take_bench(config)?;
	frame_support::genesis_builder_helper::build_state::<crate::RuntimeGenesisConfig>(config)?;
	match bench {
		Some(grid) => build(&grid),
		None => Ok(()),
	}
}

/// An account nobody holds the key of, for `role` number `index`.
fn account(role: &str, index: u32) -> AccountId {
	AccountId::new(BlakeTwo256::hash(&(role, index).encode()).0)
}

/// A funded account with a twin, as its signed origin.
fn twin(role: &str, index: u32, funds: u128) -> Result<RuntimeOrigin, String> {
	let who = account(role, index);
	<Balances as Mutate<AccountId>>::mint_into(&who, funds)
		.map_err(|e| format!("bench: funding {role} {index}: {e:?}"))?;
	let origin = RuntimeOrigin::signed(who);
	Registry::create_twin(origin.clone(), None, None)
		.map_err(|e| format!("bench: twin of {role} {index}: {e:?}"))?;
	Ok(origin)
}

/// Build the grid `grid` asks for into the genesis state being built.
pub fn build(grid: &BenchGrid) -> Result<(), String> {
	let nodes = grid.contracts.div_ceil(grid.contracts_per_node);
	let farms = nodes.div_ceil(grid.nodes_per_farm);
	let created_at = grid.now_secs.saturating_sub(3600);
	pallet_timestamp::Now::<Runtime>::put(created_at.saturating_mul(1000));

	let first_farm = pallet_registry::FarmCount::<Runtime>::get().saturating_add(1);
	for farm in 0..farms {
		let farmer = twin("bench farmer", farm, OPERATOR_FUNDS)?;
		Registry::create_farm(farmer, format!("bench-farm-{farm}").into_bytes())
			.map_err(|e| format!("bench: farm {farm}: {e:?}"))?;
	}
	let first_node = pallet_registry::NodeCount::<Runtime>::get().saturating_add(1);
	// What each contract declares and its node reports; a node holds `contracts_per_node` of them
	// (at most `MaxContractsPerNode`), with room to spare.
	let declared = Resources { cru: 1, sru: 50 * GIB, hru: 0, mru: 2 * GIB };
	let per_node = u64::from(grid.contracts_per_node);
	let capacity = Resources {
		cru: (declared.cru * per_node).max(64),
		sru: (declared.sru * per_node).max(4096 * GIB),
		hru: 0,
		mru: (declared.mru * per_node).max(256 * GIB),
	};
	let location = LocationInput {
		country: b"Belgium".to_vec(),
		city: b"Ghent".to_vec(),
		latitude: b"51.05".to_vec(),
		longitude: b"3.72".to_vec(),
	};
	let mut node_origins = Vec::new();
	for node in 0..nodes {
		let origin = twin("bench node", node, OPERATOR_FUNDS)?;
		Registry::create_node(
			origin.clone(),
			first_farm.saturating_add(node / grid.nodes_per_farm),
			capacity,
			location.clone(),
		)
		.map_err(|e| format!("bench: node {node}: {e:?}"))?;
		node_origins.push(origin);
	}

	let data = vec![0x5a; grid.data_bytes as usize];
	let mut contract_ids: Vec<Vec<(u64, [u8; 32])>> = vec![Vec::new(); node_origins.len()];
	for contract in 0..grid.contracts {
		let owner = twin("bench owner", contract, OWNER_FUNDS)?;
		let node = contract / grid.contracts_per_node;
		let hash = BlakeTwo256::hash(&contract.encode()).0;
		SmartContract::create_node_contract(
			owner,
			first_node.saturating_add(node),
			hash,
			data.clone(),
			0,
			declared,
		)
		.map_err(|e| format!("bench: contract {contract}: {e:?}"))?;
		let id = pallet_smart_contract::LastContractId::<Runtime>::get();
		if let Some(ids) = contract_ids.get_mut(node as usize) {
			ids.push((id, hash));
		}
	}
	// Each node confirms its deployments: reports count only for those.
	for (origin, ids) in node_origins.iter().zip(&contract_ids) {
		for &(id, hash) in ids {
			SmartContract::confirm_deployment(origin.clone(), id, hash)
				.map_err(|e| format!("bench: confirming contract {id}: {e:?}"))?;
		}
	}

	pallet_timestamp::Now::<Runtime>::put(grid.now_secs.saturating_mul(1000));
	for (node, (origin, ids)) in node_origins.into_iter().zip(contract_ids).enumerate() {
		for batch in ids.chunks(MAX_REPORTS as usize) {
			let reports: Vec<Consumption> = batch
				.iter()
				.map(|&(contract_id, _)| Consumption {
					contract_id,
					timestamp: grid.now_secs,
					cru: declared.cru,
					sru: declared.sru,
					hru: declared.hru,
					mru: declared.mru,
					nru: 1_000_000_000,
				})
				.collect();
			let reports = reports.try_into().map_err(|_| format!("bench: node {node}: batch"))?;
			SmartContract::report_consumption(origin.clone(), reports)
				.map_err(|e| format!("bench: reports of node {node}: {e:?}"))?;
		}
	}

	// Every contract ever created is live: the pass knows the count exactly.
	let last_id = pallet_smart_contract::LastContractId::<Runtime>::get();
	let frequency = u64::from(pallet_smart_contract::BillingFrequency::<Runtime>::get());
	pallet_smart_contract::BillingPass::<Runtime>::put(BillingPassState::starting(
		last_id, frequency, last_id,
	));
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_bench_member_is_taken_out_and_read() {
		let config =
			br#"{"balances":{"balances":[]},"bench":{"contracts":10,"nowSecs":1800000000}}"#;
		let (rest, grid) = take_bench(config.to_vec()).unwrap();
		assert_eq!(rest, br#"{"balances":{"balances":[]}}"#.to_vec());
		assert_eq!(
			grid,
			Some(BenchGrid {
				contracts: 10,
				contracts_per_node: 500,
				nodes_per_farm: 50,
				data_bytes: 512,
				now_secs: 1_800_000_000
			})
		);
	}

	#[test]
	fn a_config_without_it_is_left_alone() {
		let config = br#"{"balances":{"balances":[]}}"#.to_vec();
		assert_eq!(take_bench(config.clone()).unwrap(), (config, None));
	}

	#[test]
	fn bad_members_are_named() {
		for (bench, error) in [
			(r#"{"nowSecs":1800000000}"#, "bench.contracts: missing"),
			(r#"{"contracts":0,"nowSecs":1800000000}"#, "bench.contracts: expected 1..="),
			(
				r#"{"contracts":-1,"nowSecs":1800000000}"#,
				"bench.contracts: expected a non-negative",
			),
			(r#"{"contracts":5}"#, "bench.nowSecs: missing"),
			(r#"{"contracts":5,"nowSecs":10}"#, "bench.nowSecs: expected unix seconds"),
		] {
			let config = format!(r#"{{"bench":{bench}}}"#).into_bytes();
			let message = take_bench(config).unwrap_err();
			assert!(message.starts_with(error), "{bench}: {message}");
		}
	}
}
