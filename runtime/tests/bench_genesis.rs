//! The scale run's genesis (`bench_genesis`), small: the state it builds is what the pallets'
//! calls would have built (their invariants hold), every contract carries an hour of usage, and
//! the billing pass it puts in place settles each contract once, paying, over `BillingFrequency`
//! blocks from block 1.

mod common;

use common::{genesis_with, BLOCK_MS};
use frame_support::traits::Hooks;
use gridchain_runtime::{Runtime, RuntimeEvent, System};
use pallet_smart_contract::{
	BillingKind, BillingPass, Contracts, Event as ContractEvent, LastContractId,
};
use serde_json::json;
use std::collections::BTreeMap;

type SmartContract = pallet_smart_contract::Pallet<Runtime>;

const NOW_SECS: u64 = 1_800_000_000;
const CONTRACTS: u32 = 1_200;
const FREQUENCY: u32 = 5;

fn bench_patch(bench: serde_json::Value) -> serde_json::Value {
	json!({ "smartContract": { "billingFrequency": FREQUENCY }, "bench": bench })
}

fn invariants() {
	SmartContract::do_try_state().expect("SmartContract invariants");
	pallet_registry::Pallet::<Runtime>::do_try_state().expect("Registry invariants");
	pallet_tft_price::Pallet::<Runtime>::do_try_state().expect("TftPrice invariants");
}

#[test]
fn a_bench_genesis_holds_the_grid_and_its_pass_bills_every_contract_once() {
	let mut ext = genesis_with(bench_patch(json!({
		"contracts": CONTRACTS,
		"contractsPerNode": 250,
		"nodesPerFarm": 2,
		"dataBytes": 64,
		"nowSecs": NOW_SECS,
	})))
	.expect("the bench genesis builds");
	ext.execute_with(|| {
		invariants();
		assert_eq!(LastContractId::<Runtime>::get(), u64::from(CONTRACTS));
		// 1,200 contracts at 250 a node: 5 nodes, 2 a farm: 3 farms.
		assert_eq!(pallet_registry::NodeCount::<Runtime>::get(), 5);
		assert_eq!(pallet_registry::FarmCount::<Runtime>::get(), 3);
		assert_eq!(pallet_timestamp::Now::<Runtime>::get(), NOW_SECS * 1000);
		let pass = BillingPass::<Runtime>::get().expect("a pass from block 1");
		assert_eq!(pass.per_block, CONTRACTS / FREQUENCY);
		assert_eq!(pass.cursor, None);
		let mut records = 0;
		for (id, contract) in Contracts::<Runtime>::iter() {
			let info = contract.billing;
			records += 1;
			assert!(info.accrued > 0, "contract {id} has no usage");
			assert_eq!(info.last_settled_secs, NOW_SECS - 3600, "contract {id}");
			assert_eq!(info.deposit, SmartContract::deposit_for(64), "contract {id}");
			let BillingKind::Node { last_report_secs, .. } = info.kind else {
				panic!("contract {id} is not a node contract");
			};
			assert_eq!(last_report_secs, NOW_SECS, "contract {id}");
		}
		assert_eq!(records, CONTRACTS);

		// The pass: a fifth of the contracts a block, each paying, none twice; the block after
		// finds the walk at its end and closes the pass.
		let mut billed: BTreeMap<u64, u32> = BTreeMap::new();
		for number in 1..=FREQUENCY + 1 {
			System::set_block_number(number);
			System::reset_events();
			pallet_timestamp::Now::<Runtime>::put(NOW_SECS * 1000 + u64::from(number) * BLOCK_MS);
			<SmartContract as Hooks<u32>>::on_initialize(number);
			let mut this_block = 0;
			for record in System::events() {
				match record.event {
					RuntimeEvent::SmartContract(ContractEvent::ContractBilled {
						contract_id,
						amount,
						..
					}) => {
						assert!(amount > 0, "contract {contract_id} paid nothing");
						*billed.entry(contract_id).or_default() += 1;
						this_block += 1;
					}
					RuntimeEvent::SmartContract(ContractEvent::ContractGracePeriodStarted {
						contract_id,
						..
					}) => panic!("contract {contract_id} could not pay"),
					_ => {}
				}
			}
			let due = if number <= FREQUENCY { CONTRACTS / FREQUENCY } else { 0 };
			assert_eq!(this_block, due, "block {number}");
		}
		assert_eq!(billed.len(), CONTRACTS as usize);
		assert!(billed.values().all(|&times| times == 1));
		assert_eq!(BillingPass::<Runtime>::get(), None, "the pass ended");
		invariants();
	});
}

#[test]
fn a_bad_bench_member_stops_genesis_with_its_name() {
	for (bench, error) in [
		(json!({ "contracts": 0, "nowSecs": NOW_SECS }), "bench.contracts: expected 1..="),
		(json!({ "contracts": 10 }), "bench.nowSecs: missing"),
		(json!({ "contracts": 10, "nowSecs": NOW_SECS, "dataBytes": 9000 }), "bench: contract 0:"),
	] {
		let Err(message) = genesis_with(bench_patch(bench.clone())) else {
			panic!("{bench} was accepted");
		};
		assert!(message.starts_with(error), "{bench}: {message}");
	}
}
