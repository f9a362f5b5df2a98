//! A full node on the real runtime (dev genesis, generated weights): a twin fills a node to
//! `MaxContractsPerNode` with cheap contracts, the heaviest way (every contract its own owner, the
//! farm's 256 IPs spread one a contract), then the node is deleted; another node is filled by one
//! twin, who rents it. Each call declares a weight that fits in a block, and is metered at least
//! at the benchmarked weight of what it did; the contract after the last is refused.

mod common;

use common::dev_genesis;
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	weights::Weight,
};
use gridchain_primitives::{NodeId, Resources, GIB};
use gridchain_runtime::{AccountId, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, System};
use pallet_registry::{Call as RegistryCall, MAX_FARM_IPS};
use pallet_smart_contract::{
	types::MAX_CONTRACTS_PER_NODE, Call as ContractCall, Error as ContractError,
	Event as ContractEvent, WeightInfo,
};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Dispatchable, MultiAddress};
use std::time::Instant;

const TFT: u128 = 10_000_000;

type ContractWeights = <Runtime as pallet_smart_contract::Config>::WeightInfo;
type RegistryWeights = <Runtime as pallet_registry::Config>::WeightInfo;

fn owner(i: u32) -> AccountId {
	let mut raw = [0x6bu8; 32];
	raw[..4].copy_from_slice(&i.to_le_bytes());
	AccountId::from(raw)
}

fn dispatch(who: &AccountId, call: RuntimeCall) -> Option<Weight> {
	let described = format!("{call:?}");
	let outcome = call.dispatch(RuntimeOrigin::signed(who.clone()));
	assert!(outcome.is_ok(), "{described}: {:?}", outcome.map_err(|e| e.error));
	outcome.ok().and_then(|post| post.actual_weight)
}

/// The most weight one normal extrinsic may declare.
fn max_extrinsic() -> Weight {
	let weights = <Runtime as frame_system::Config>::BlockWeights::get();
	weights.get(DispatchClass::Normal).max_extrinsic.unwrap_or(weights.max_block)
}

fn location() -> pallet_registry::types::LocationInput {
	pallet_registry::types::LocationInput {
		country: b"BE".to_vec(),
		city: b"Ghent".to_vec(),
		latitude: b"51.05".to_vec(),
		longitude: b"3.72".to_vec(),
	}
}

/// `who` (with a twin) registers a node on farm 1 large enough for a full node of small VMs.
fn node_of(who: &AccountId) -> NodeId {
	let resources = Resources { cru: 1024, mru: 4096 * GIB, sru: 65536 * GIB, hru: 0 };
	let call = RegistryCall::create_node { farm_id: 1, resources, location: location() };
	dispatch(who, RuntimeCall::Registry(call));
	pallet_registry::NodeCount::<Runtime>::get()
}

fn create(node_id: NodeId, i: u32, ips: u32) -> RuntimeCall {
	let mut hash = [0u8; 32];
	hash[..4].copy_from_slice(&i.to_le_bytes());
	hash[4..8].copy_from_slice(&node_id.to_le_bytes());
	RuntimeCall::SmartContract(ContractCall::create_node_contract {
		node_id,
		deployment_hash: hash,
		deployment_data: vec![0x5a; pallet_smart_contract::MAX_DEPLOYMENT_DATA_LEN as usize],
		public_ips: ips,
		capacity: Resources { cru: 1, sru: 10 * GIB, hru: 0, mru: GIB },
	})
}

/// From the events: contracts ended, IPs freed, and contracts ended that held no IP.
fn ended() -> (u32, u32, u32) {
	let (mut contracts, mut ips, mut with_ips) = (0, 0, 0);
	for record in System::events() {
		match record.event {
			RuntimeEvent::SmartContract(ContractEvent::ContractCanceled { .. }) => contracts += 1,
			RuntimeEvent::SmartContract(ContractEvent::IpsFreed { public_ips, .. }) => {
				ips += public_ips.len() as u32;
				with_ips += 1;
			}
			_ => {}
		}
	}
	(contracts, ips, contracts - with_ips)
}

#[test]
fn a_full_node_is_deleted_and_rented_within_the_weight_it_declares() {
	dev_genesis().execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let charlie = Sr25519Keyring::Charlie.to_account_id();
		let dave = Sr25519Keyring::Dave.to_account_id();
		for who in [&alice, &bob, &charlie, &dave] {
			dispatch(
				who,
				RuntimeCall::Registry(RegistryCall::create_twin { pk: None, relay: None }),
			);
		}
		dispatch(
			&alice,
			RuntimeCall::Registry(RegistryCall::create_farm { name: b"full".to_vec() }),
		);
		for host in 0..MAX_FARM_IPS {
			let ip = format!("185.206.{}.{}/16", 122 + host / 200, 2 + host % 200);
			let call = RegistryCall::add_farm_ip {
				farm_id: 1,
				ip: ip.into_bytes(),
				gateway: b"185.206.0.1".to_vec(),
			};
			dispatch(&alice, RuntimeCall::Registry(call));
		}
		let full = node_of(&bob);
		let rented = node_of(&dave);

		// Node `full`: every contract its own owner, 8 KiB of data each, the first 256 with an IP.
		for i in 0..MAX_CONTRACTS_PER_NODE {
			let who = owner(i);
			let fund = pallet_balances::Call::transfer_keep_alive {
				dest: MultiAddress::Id(who.clone()),
				value: 20 * TFT,
			};
			dispatch(&alice, RuntimeCall::Balances(fund));
			dispatch(
				&who,
				RuntimeCall::Registry(RegistryCall::create_twin { pk: None, relay: None }),
			);
			dispatch(&who, create(full, i, u32::from(i < MAX_FARM_IPS)));
		}
		let one_more = create(full, MAX_CONTRACTS_PER_NODE, 0);
		let refused = one_more.dispatch(RuntimeOrigin::signed(charlie.clone()));
		assert_eq!(
			refused.map_err(|e| e.error),
			Err(ContractError::<Runtime>::TooManyContractsOnNode.into())
		);

		// Deleting it.
		let delete = RuntimeCall::Registry(RegistryCall::delete_node { node_id: full });
		let declared = delete.get_dispatch_info().call_weight;
		assert!(declared.all_lte(max_extrinsic()), "delete_node declares {declared:?}");
		System::reset_events();
		let started = Instant::now();
		let actual = dispatch(&bob, delete).expect("delete_node reports its weight");
		let took = started.elapsed();
		let (contracts, ips, without_ips) = ended();
		assert_eq!((contracts, ips), (MAX_CONTRACTS_PER_NODE, MAX_FARM_IPS));
		let benchmarked = <RegistryWeights as pallet_registry::WeightInfo>::delete_node()
			+ ContractWeights::end_contracts_on_node(without_ips, ips);
		assert!(benchmarked.all_lte(actual), "metered {actual:?} for work of {benchmarked:?}");
		assert!(actual.all_lte(declared), "metered {actual:?} over the declared {declared:?}");
		assert_eq!(pallet_smart_contract::Contracts::<Runtime>::iter().count(), 0);
		let farm = pallet_registry::Farms::<Runtime>::get(1).expect("the farm");
		assert!(farm.public_ips.iter().all(|ip| ip.contract_id == 0), "an IP is still held");
		eprintln!(
			"delete_node of a full node: declared {} ms, metered {} ms, of {} ms a block's \
			 extrinsic may take; native debug execution {} ms",
			declared.ref_time() / 1_000_000_000,
			actual.ref_time() / 1_000_000_000,
			max_extrinsic().ref_time() / 1_000_000_000,
			took.as_millis()
		);

		// Node `rented`: Charlie's contracts fill it; Charlie rents it, every contract read.
		let fund = pallet_balances::Call::transfer_keep_alive {
			dest: MultiAddress::Id(charlie.clone()),
			value: 10_000 * TFT,
		};
		dispatch(&alice, RuntimeCall::Balances(fund));
		for i in 0..MAX_CONTRACTS_PER_NODE {
			dispatch(&charlie, create(rented, i, 0));
		}
		let rent =
			RuntimeCall::SmartContract(ContractCall::create_rent_contract { node_id: rented });
		let declared = rent.get_dispatch_info().call_weight;
		assert!(declared.all_lte(max_extrinsic()), "create_rent_contract declares {declared:?}");
		let actual = dispatch(&charlie, rent).expect("create_rent_contract reports its weight");
		let benchmarked = ContractWeights::create_rent_contract(MAX_CONTRACTS_PER_NODE);
		assert!(benchmarked.all_lte(actual) && actual.all_lte(declared));
		pallet_smart_contract::Pallet::<Runtime>::do_try_state().expect("SmartContract invariants");
		pallet_registry::Pallet::<Runtime>::do_try_state().expect("Registry invariants");
	});
}
