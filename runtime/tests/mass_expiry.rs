//! Mass expiry on the real runtime (dev genesis, generated weights): 2,000 contract owners on four
//! full nodes (`MaxContractsPerNode` each) run dry together, all their contracts enter grace in one billing pass and reach its end in a later one.
//! Every block's settlements stay within `SettlementWeightLimit` and are metered at least at the
//! benchmarked weight of the path each took; every contract is deleted within the pass's blocks
//! plus a bounded carry-over; none is settled twice in a pass; every IP, deposit and TFT is
//! accounted for.

mod common;

use common::{dev_genesis, pass_block};
use frame_support::{weights::Weight, BoundedVec};
use gridchain_primitives::{ContractId, Resources};
use gridchain_runtime::{
	AccountId, Balances, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, System,
};
use pallet_registry::{Call as RegistryCall, MAX_FARM_IPS};
use pallet_smart_contract::{
	types::{Cause, Consumption, MAX_CONTRACTS_PER_NODE, MAX_REPORTS},
	BillingPass, Call as ContractCall, Event as ContractEvent, WeightInfo,
};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Dispatchable, MultiAddress};
use std::collections::{BTreeMap, BTreeSet};

const OWNERS: u32 = 2_000;
/// The first owners hold IPs: 5 each, 200 in all.
const OWNERS_WITH_IPS: u32 = 40;
const IPS_EACH: u32 = 5;
/// Billing every 2 blocks: 1,000 settlements a block are due, more than fit.
const FREQUENCY: u32 = 2;
const GRACE: u32 = 10;
const TFT: u128 = 10_000_000;
const GIB: u64 = 1 << 30;

type SmartContract = pallet_smart_contract::Pallet<Runtime>;
type Weights = <Runtime as pallet_smart_contract::Config>::WeightInfo;

/// What each contract declares and reports: a small VM.
fn small_vm() -> Resources {
	Resources { cru: 1, sru: 10 * GIB, hru: 0, mru: GIB }
}

/// The twins of the four nodes the contracts fill: Bob, Charlie, Dave and Eve.
fn node_twins() -> Vec<AccountId> {
	let nodes = OWNERS.div_ceil(MAX_CONTRACTS_PER_NODE) as usize;
	[Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave, Sr25519Keyring::Eve]
		.iter()
		.take(nodes)
		.map(|k| k.to_account_id())
		.collect()
}

fn owner(i: u32) -> AccountId {
	let mut raw = [0x5au8; 32];
	raw[..4].copy_from_slice(&i.to_le_bytes());
	AccountId::from(raw)
}

fn dispatch(who: &AccountId, call: RuntimeCall) {
	let described = format!("{call:?}");
	let outcome = call.dispatch(RuntimeOrigin::signed(who.clone()));
	assert!(outcome.is_ok(), "{described}: {:?}", outcome.map_err(|e| e.error));
}

fn root(call: RuntimeCall) {
	assert!(call.dispatch(RuntimeOrigin::root()).is_ok());
}

/// Alice's farm with 200 IPs and Bob's node on it; 2,000 owners with a node contract each (the
/// first 40 with 5 IPs), an hour of usage reported for every contract, then every owner's
/// spendable TFT sent away.
fn grid_of_owners_running_dry() {
	let alice = Sr25519Keyring::Alice.to_account_id();
	let nodes = node_twins();
	for who in std::iter::once(&alice).chain(&nodes) {
		dispatch(who, RuntimeCall::Registry(RegistryCall::create_twin { pk: None, relay: None }));
	}
	dispatch(&alice, RuntimeCall::Registry(RegistryCall::create_farm { name: b"mass".to_vec() }));
	for host in 0..OWNERS_WITH_IPS * IPS_EACH {
		let ip = format!("185.206.{}.{}/16", 122 + host / 200, 2 + host % 200);
		let call = RegistryCall::add_farm_ip {
			farm_id: 1,
			ip: ip.into_bytes(),
			gateway: b"185.206.0.1".to_vec(),
		};
		dispatch(&alice, RuntimeCall::Registry(call));
	}
	let location = pallet_registry::types::Location {
		country: b"BE".to_vec(),
		city: b"Ghent".to_vec(),
		latitude: b"51.05".to_vec(),
		longitude: b"3.72".to_vec(),
	};
	// Room for a full node of small VMs.
	let resources = Resources { cru: 512, mru: 1024 * GIB, sru: 8192 * GIB, hru: 0 };
	for node in &nodes {
		let location = location.clone();
		let call = RegistryCall::create_node { farm_id: 1, resources, location };
		dispatch(node, RuntimeCall::Registry(call));
	}
	root(RuntimeCall::SmartContract(ContractCall::set_billing_frequency { blocks: FREQUENCY }));
	root(RuntimeCall::SmartContract(ContractCall::set_grace_period { blocks: GRACE }));

	for i in 0..OWNERS {
		let who = owner(i);
		let fund = pallet_balances::Call::transfer_keep_alive {
			dest: MultiAddress::Id(who.clone()),
			value: 5 * TFT,
		};
		dispatch(&alice, RuntimeCall::Balances(fund));
		dispatch(&who, RuntimeCall::Registry(RegistryCall::create_twin { pk: None, relay: None }));
		let mut hash = [0u8; 32];
		hash[..4].copy_from_slice(&i.to_le_bytes());
		let node = &nodes[(i / MAX_CONTRACTS_PER_NODE) as usize];
		let create = ContractCall::create_node_contract {
			node_id: 1 + i / MAX_CONTRACTS_PER_NODE,
			deployment_hash: hash,
			deployment_data: vec![],
			public_ips: if i < OWNERS_WITH_IPS { IPS_EACH } else { 0 },
			capacity: small_vm(),
		};
		dispatch(&who, RuntimeCall::SmartContract(create));
		let contract_id = pallet_smart_contract::LastContractId::<Runtime>::get();
		let confirm = ContractCall::confirm_deployment { contract_id, deployment_hash: hash };
		dispatch(node, RuntimeCall::SmartContract(confirm));
	}

	// An hour later, each node reports an hour of a small VM for each of its contracts.
	let now_ms = pallet_timestamp::Now::<Runtime>::get() + 3_600_000;
	pallet_timestamp::Now::<Runtime>::put(now_ms);
	let used = small_vm();
	for (n, node) in nodes.iter().enumerate() {
		let first = n as u64 * u64::from(MAX_CONTRACTS_PER_NODE) + 1;
		let last = (first + u64::from(MAX_CONTRACTS_PER_NODE) - 1).min(OWNERS as u64);
		let ids: Vec<ContractId> = (first..=last).collect();
		for chunk in ids.chunks(MAX_REPORTS as usize) {
			let reports = chunk
				.iter()
				.map(|&contract_id| Consumption {
					contract_id,
					timestamp: now_ms / 1000,
					cru: used.cru,
					sru: used.sru,
					hru: used.hru,
					mru: used.mru,
					nru: 0,
				})
				.collect();
			let reports = BoundedVec::truncate_from(reports);
			let call = ContractCall::report_consumption { reports };
			dispatch(node, RuntimeCall::SmartContract(call));
		}
	}
	for i in 0..OWNERS {
		let drain = pallet_balances::Call::transfer_all {
			dest: MultiAddress::Id(alice.clone()),
			keep_alive: true,
		};
		dispatch(&owner(i), RuntimeCall::Balances(drain));
	}
}

/// What the billing hook did in one block, from its events.
#[derive(Default)]
struct BlockWork {
	billed: Vec<ContractId>,
	grace_started: Vec<ContractId>,
	grace_ended: Vec<ContractId>,
	deleted: Vec<ContractId>,
	burned: u128,
}

fn block_work() -> BlockWork {
	let mut work = BlockWork::default();
	for record in System::events() {
		let RuntimeEvent::SmartContract(event) = record.event else { continue };
		match event {
			ContractEvent::ContractBilled { contract_id, .. } => work.billed.push(contract_id),
			ContractEvent::ContractGracePeriodStarted { contract_id, .. } => {
				work.grace_started.push(contract_id)
			}
			ContractEvent::ContractGracePeriodEnded { contract_id } => {
				work.grace_ended.push(contract_id)
			}
			ContractEvent::ContractCanceled { contract_id, cause, .. } => {
				assert_eq!(cause, Cause::OutOfFunds, "contract {contract_id} ended otherwise");
				work.deleted.push(contract_id);
			}
			ContractEvent::IpsFreed { contract_id, public_ips } => {
				assert_eq!(public_ips.len() as u32, ips_of(contract_id), "contract {contract_id}")
			}
			ContractEvent::TokensBurned { amount } => work.burned += amount,
			_ => {}
		}
	}
	work
}

/// The IPs contract `id` holds: the first `OWNERS_WITH_IPS` contracts hold `IPS_EACH`. No contract
/// has deployment data.
fn ips_of(id: ContractId) -> u32 {
	if id <= u64::from(OWNERS_WITH_IPS) {
		IPS_EACH
	} else {
		0
	}
}

/// The benchmarked weight of what the hook did: each settlement at its path's weight for the
/// size of the contract's record.
fn benchmarked_weight(work: &BlockWork) -> Weight {
	if work.billed.is_empty() {
		return Weight::zero();
	}
	let mut weight = Weights::distribute_payments();
	for &id in &work.billed {
		let ips = ips_of(id);
		weight += if work.deleted.contains(&id) {
			Weights::settle_contract_deleting(0, ips)
		} else if work.grace_started.contains(&id) {
			Weights::settle_contract_starting_grace(0, ips)
		} else if work.grace_ended.contains(&id) {
			Weights::settle_contract_ending_grace(0, ips)
		} else {
			Weights::settle_contract_in_hook(0, ips)
		};
	}
	weight
}

/// How many settlements surely fit in one block: the budget left after the hook's fixed part,
/// divided by the heaviest path.
fn settlements_that_fit(limit: Weight) -> u64 {
	let db = <Runtime as frame_system::Config>::DbWeight::get();
	let fixed = db.reads_writes(6, 2) + Weights::distribute_payments();
	// Every path on the largest record, a rent contract's node read on top.
	let node_read = Weights::settle_rent_contract_in_hook()
		.saturating_sub(Weights::settle_contract_in_hook(0, 0));
	let data = pallet_smart_contract::MAX_DEPLOYMENT_DATA_LEN;
	let heaviest = Weights::settle_contract_in_hook(data, MAX_FARM_IPS)
		.max(Weights::settle_contract_starting_grace(data, MAX_FARM_IPS))
		.max(Weights::settle_contract_ending_grace(data, MAX_FARM_IPS))
		.max(Weights::settle_contract_deleting(data, MAX_FARM_IPS))
		+ node_read
		+ db.reads(1);
	limit.saturating_sub(fixed).checked_div_per_component(&heaviest).unwrap_or(0)
}

#[test]
fn two_thousand_owners_running_dry_are_deleted_within_budget_and_once() {
	let mut ext = dev_genesis();
	ext.execute_with(|| {
		let genesis_issuance = Balances::total_issuance();
		grid_of_owners_running_dry();
		let limit = <Runtime as pallet_smart_contract::Config>::SettlementWeightLimit::get();
		let fits = settlements_that_fit(limit);
		assert!(fits > 0, "not even one settlement fits the budget");

		let mut burned = 0u128;
		let mut pass = 0u32;
		let mut pass_started_at = BTreeMap::new();
		let mut billed_in_pass: BTreeMap<ContractId, u32> = BTreeMap::new();
		let mut deleted_at: BTreeMap<ContractId, (u32, u32)> = BTreeMap::new();
		let mut carried_over = false;
		while deleted_at.len() < OWNERS as usize {
			assert!(System::block_number() < 200, "only {} contracts deleted", deleted_at.len());
			let starting = BillingPass::<Runtime>::get().is_none();
			let weight = pass_block();
			let block = System::block_number();
			let work = block_work();
			burned += work.burned;
			if starting && !work.billed.is_empty() {
				pass += 1;
				pass_started_at.insert(pass, block);
			}

			assert!(weight.all_lte(limit), "block {block}: {weight:?} over {limit:?}");
			let done = benchmarked_weight(&work);
			assert!(
				done.all_lte(weight),
				"block {block}: declared {weight:?} for work benchmarked at {done:?}"
			);
			let per_block = (OWNERS as u64).div_ceil(FREQUENCY as u64);
			if (work.billed.len() as u64) < per_block && BillingPass::<Runtime>::get().is_some() {
				carried_over = true;
			}
			for id in work.billed {
				assert_ne!(billed_in_pass.insert(id, pass), Some(pass), "{id} settled twice");
			}
			for id in work.deleted {
				assert!(deleted_at.insert(id, (pass, block)).is_none(), "{id} deleted twice");
			}
			SmartContract::do_try_state().expect("SmartContract invariants");
			pallet_registry::Pallet::<Runtime>::do_try_state().expect("Registry invariants");
			pallet_tft_price::Pallet::<Runtime>::do_try_state().expect("TftPrice invariants");
		}
		assert!(carried_over, "every block fitted its share: the test proves no carry-over");

		// All deleted in one pass, within its blocks plus the carry-over the budget allows.
		let passes: BTreeSet<u32> = deleted_at.values().map(|(pass, _)| *pass).collect();
		assert_eq!(passes.len(), 1, "deletions spread over passes {passes:?}");
		let deletion_pass = *passes.first().expect("one pass");
		let first = pass_started_at[&deletion_pass];
		let last = deleted_at.values().map(|(_, block)| *block).max().expect("deletions");
		let per_block = ((OWNERS as u64).div_ceil(FREQUENCY as u64)).min(fits);
		let bound = (OWNERS as u64).div_ceil(per_block);
		assert!(
			(last - first + 1) as u64 <= bound,
			"the pass took {} blocks, at most {bound} expected ({fits} settlements fit a block)",
			last - first + 1
		);

		// No IP, deposit or TFT lost.
		let farm = pallet_registry::Farms::<Runtime>::get(1).expect("the farm");
		assert_eq!(farm.public_ips.len() as u32, OWNERS_WITH_IPS * IPS_EACH);
		assert!(farm.public_ips.iter().all(|ip| ip.contract_id == 0), "an IP is still held");
		assert_eq!(pallet_smart_contract::Contracts::<Runtime>::iter().count(), 0);
		for i in 0..OWNERS {
			let account = System::account(owner(i));
			assert_eq!(account.data.reserved, 0, "owner {i} still has a deposit held");
		}
		let total: u128 = frame_system::Account::<Runtime>::iter()
			.map(|(_, info)| info.data.free + info.data.reserved)
			.sum();
		assert_eq!(total, Balances::total_issuance(), "balances do not add up to the issuance");
		assert_eq!(
			Balances::total_issuance() + burned,
			genesis_issuance,
			"TFT appeared or vanished"
		);
		eprintln!(
			"{OWNERS} contracts deleted in pass {deletion_pass}, blocks {first}..={last} \
			 ({fits} settlements fit a block, {} blocks passed)",
			System::block_number()
		);
	});
}
