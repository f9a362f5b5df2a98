//! Consumption and billing: one test per rule of SPEC §5 and §6.

use crate::{mock::*, Error, Event, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, Mutate},
		Hooks,
	},
};
use gridchain_primitives::{tft::Distribution, DiscountLevel, Resources, COST_SCALE, GIB};
use pallet_registry::{Farms, NodeCertification};
use proptest::prelude::*;

const HASH: [u8; 32] = [1; 32];
const HOUR: u64 = 3600;

fn now_secs() -> u64 {
	Timestamp::get() / 1000
}

/// Advance to block `n`, 6 s of chain time per block, running the billing hook in each.
fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Timestamp::set_timestamp(Timestamp::get() + 6000);
		SmartContract::on_initialize(next);
	}
}

/// Move chain time without running hooks.
fn advance_secs(secs: u64) {
	Timestamp::set_timestamp(Timestamp::get() + secs * 1000);
}

fn report(
	contract_id: u64,
	timestamp: u64,
	cru: u64,
	mru_gib: u64,
	sru_gib: u64,
	nru: u64,
) -> Consumption {
	Consumption { contract_id, timestamp, cru, mru: mru_gib * GIB, sru: sru_gib * GIB, hru: 0, nru }
}

fn submit(node: AccountId, reports: Vec<Consumption>) -> sp_runtime::DispatchResult {
	SmartContract::report_consumption(RuntimeOrigin::signed(node), reports.try_into().unwrap())
		.map(|_| ())
		.map_err(|e| e.error)
}

fn billed(contract_id: u64) -> Vec<(Balance, DiscountLevel)> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::SmartContract(Event::ContractBilled {
				contract_id: id,
				amount,
				discount_level,
			}) if id == contract_id => Some((amount, discount_level)),
			_ => None,
		})
		.collect()
}

fn burned() -> Balance {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::SmartContract(Event::TokensBurned { amount }) => Some(amount),
			_ => None,
		})
		.sum()
}

fn accrued(contract_id: u64) -> u128 {
	Contracts::<Test>::get(contract_id).unwrap().billing.accrued
}

/// Every account's balance adds up to the total issuance: no TFT is minted or lost.
fn assert_conserved(start_issuance: Balance) {
	let accounts: Balance = frame_system::Account::<Test>::iter()
		.map(|(_, info)| info.data.free + info.data.reserved)
		.sum();
	assert_eq!(accounts, Balances::total_issuance());
	assert_eq!(start_issuance - Balances::total_issuance(), burned());
}

/// What every contract of these tests declares: half of a node.
fn declared() -> Resources {
	Resources { cru: 4, mru: 16 * GIB, sru: 200 * GIB, hru: 0 }
}

/// A node contract declaring `declared()`, confirmed by its node: reports count for it.
fn create(who: AccountId, node: u32, hash: [u8; 32], ips: u32) {
	assert_ok!(SmartContract::create_node_contract(
		RuntimeOrigin::signed(who),
		node,
		hash,
		vec![],
		ips,
		declared(),
	));
	let id = LastContractId::<Test>::get();
	let node_twin = if node == 1 { NODE1 } else { NODE2 };
	assert_ok!(SmartContract::confirm_deployment(RuntimeOrigin::signed(node_twin), id, hash));
}

// ---- reports ----

#[test]
fn a_report_accrues_the_cost_of_its_window() {
	run_test(|| {
		create(USER, 1, HASH, 1);
		let t0 = now_secs();
		advance_secs(HOUR);
		assert_ok!(submit(NODE1, vec![report(1, t0 + HOUR, 2, 4, 50, 1_000_000_000)]));
		// CU 1 · 305,600 + SU 0.25 · 194,400 + NU 1 · 50,000; the IP is charged at settlement.
		assert_eq!(accrued(1), (305_600 + 48_600 + 50_000) * COST_SCALE);
		System::assert_last_event(
			Event::ConsumptionReportReceived {
				contract_id: 1,
				timestamp: t0 + HOUR,
				window_secs: HOUR,
				cost_scaled_uusd: 404_200 * COST_SCALE,
			}
			.into(),
		);
		// Nothing is transferred per report.
		assert!(billed(1).is_empty());
	});
}

#[test]
fn only_a_node_reports() {
	run_test(|| {
		create(USER, 1, HASH, 0);
		assert_noop!(
			submit(USER, vec![report(1, now_secs(), 1, 1, 1, 0)]),
			Error::<Test>::NotANode
		);
		assert_noop!(submit(99, vec![report(1, now_secs(), 1, 1, 1, 0)]), Error::<Test>::NotANode);
	});
}

#[test]
fn bad_reports_are_skipped_and_good_ones_count() {
	run_test(|| {
		create(USER, 1, HASH, 0);
		create(OTHER, 2, HASH, 0);
		let t0 = now_secs();
		advance_secs(600);
		let reports = vec![
			report(2, t0 + 600, 1, 2, 100, 0),      // a contract of node 2
			report(9, t0 + 600, 1, 2, 100, 0),      // no such contract
			report(1, t0, 1, 2, 100, 0),            // not after creation
			report(1, t0 + 600 + 61, 1, 2, 100, 0), // more than 60 s ahead
			report(1, t0 + 600, 5, 2, 100, 0),      // more vCPUs than the contract declares
			report(1, t0 + 600, 2, 4, 50, 0),       // good
			report(1, t0 + 600, 2, 4, 50, 0),       // not after the previous
		];
		assert_ok!(submit(NODE1, reports));
		let rejected: Vec<(u64, ReportRejection)> = System::events()
			.into_iter()
			.filter_map(|r| match r.event {
				RuntimeEvent::SmartContract(Event::ConsumptionReportRejected {
					contract_id,
					reason,
				}) => Some((contract_id, reason)),
				_ => None,
			})
			.collect();
		assert_eq!(
			rejected,
			vec![
				(2, ReportRejection::NotANodeContractOfThisNode),
				(9, ReportRejection::NotANodeContractOfThisNode),
				(1, ReportRejection::TimestampNotAfterPrevious),
				(1, ReportRejection::TimestampInFuture),
				(1, ReportRejection::ExceedsContractCapacity),
				(1, ReportRejection::TimestampNotAfterPrevious),
			]
		);
		assert_eq!(accrued(1), (305_600 + 48_600) * COST_SCALE / 6);
		assert_eq!(accrued(2), 0);
	});
}

#[test]
fn a_silent_node_is_believed_for_an_hour_at_most() {
	run_test(|| {
		create(USER, 1, HASH, 0);
		let t0 = now_secs();
		advance_secs(5 * HOUR);
		assert_ok!(submit(NODE1, vec![report(1, t0 + 5 * HOUR, 2, 4, 0, 0)]));
		assert_eq!(accrued(1), 305_600 * COST_SCALE);
	});
}

#[test]
fn a_rented_node_charges_its_contracts_only_traffic() {
	run_test(|| {
		assert_ok!(SmartContract::create_rent_contract(RuntimeOrigin::signed(USER), 1));
		create(USER, 1, HASH, 0);
		let t0 = now_secs();
		advance_secs(HOUR);
		assert_ok!(submit(NODE1, vec![report(2, t0 + HOUR, 2, 4, 50, 2_000_000_000)]));
		assert_eq!(accrued(2), 100_000 * COST_SCALE);
	});
}

#[test]
fn capacity_on_a_certified_node_costs_a_quarter_more() {
	run_test(|| {
		assert_ok!(Registry::set_node_certification(
			RuntimeOrigin::root(),
			1,
			NodeCertification::Certified
		));
		create(USER, 1, HASH, 0);
		let t0 = now_secs();
		advance_secs(HOUR);
		assert_ok!(submit(NODE1, vec![report(1, t0 + HOUR, 2, 4, 0, 1_000_000_000)]));
		assert_eq!(accrued(1), (305_600 * 125 / 100 + 50_000) * COST_SCALE);
	});
}

// ---- settlement ----

/// SPEC's worked example, billed: 1 h of cru 2, mru 4 GiB, sru 50 GiB, 1 GB of traffic and one
/// IP at 50 mUSD/TFT, for an owner whose balance lasts 1.64 months (Default: pays 80 %).
#[test]
fn the_first_settlement_charges_exactly_the_spec_amount_and_splits_it() {
	run_test(|| {
		let issuance = Balances::total_issuance();
		create(USER, 1, HASH, 1);
		let t0 = now_secs();
		advance_secs(HOUR);
		assert_ok!(submit(NODE1, vec![report(1, t0 + HOUR, 2, 4, 50, 1_000_000_000)]));
		let before = [FOUNDATION, STAKING_POOL, SALES, USER].map(|a| Balances::balance(&a));
		assert_ok!(SmartContract::settle_contract(RuntimeOrigin::signed(OTHER), 1));

		// 473,600 uUSD · 1000 / 50 = 9,472,000 units; 80 % = 7,577,600.
		assert_eq!(billed(1), vec![(7_577_600, DiscountLevel::Default)]);
		let shares = Distribution::of(7_577_600);
		let after = [FOUNDATION, STAKING_POOL, SALES, USER].map(|a| Balances::balance(&a));
		assert_eq!(after[0] - before[0], shares.foundation);
		assert_eq!(after[1] - before[1], shares.staking_pool);
		assert_eq!(after[2] - before[2], shares.sales);
		assert_eq!(before[3] - after[3], 7_577_600);
		assert_eq!(issuance - Balances::total_issuance(), shares.burned);
		System::assert_has_event(Event::TokensBurned { amount: shares.burned }.into());
		assert_eq!(accrued(1), 0);
		assert_conserved(issuance);
	});
}

#[test]
fn a_name_contract_pays_unique_name_per_hour() {
	run_test(|| {
		assert_ok!(SmartContract::create_name_contract(
			RuntimeOrigin::signed(USER),
			b"name".to_vec()
		));
		advance_secs(HOUR);
		assert_ok!(SmartContract::settle_contract(RuntimeOrigin::signed(USER), 1));
		// 13,900 uUSD at 50 mUSD = 278,000 units; 1000 TFT lasts far beyond 18 months: 40 %.
		assert_eq!(billed(1), vec![(111_200, DiscountLevel::Gold)]);
	});
}

#[test]
fn a_rent_contract_pays_the_node_at_the_dedicated_discount() {
	run_test(|| {
		assert_ok!(SmartContract::create_rent_contract(RuntimeOrigin::signed(USER), 1));
		advance_secs(HOUR);
		assert_ok!(SmartContract::settle_contract(RuntimeOrigin::signed(USER), 1));
		// Node 1: cru 8, mru 32 GiB -> CU 8; sru 1000 GiB -> SU 5. Half of it, for an hour.
		let cost = (8 * 305_600 + 5 * 194_400) / 2;
		let units = cost * 1000 / 50;
		let level = DiscountLevel::for_balance(
			Balances::balance(&USER) + billed(1)[0].0,
			units as u128 * 720,
		);
		assert_eq!(billed(1), vec![(units as u128 * level.pays_percent() / 100, level)]);
	});
}

#[test]
fn the_discount_follows_the_months_the_balance_lasts() {
	run_test(|| {
		// A name contract costs 278,000 units an hour: 20.016 TFT a month at full price.
		for (who, balance, level) in
			[(USER, 25 * TFT, DiscountLevel::None), (OTHER, 50 * TFT, DiscountLevel::Default)]
		{
			let _ = Balances::set_balance(&who, balance);
			assert_ok!(SmartContract::create_name_contract(
				RuntimeOrigin::signed(who),
				format!("n{who}x").into_bytes()
			));
			let id = LastContractId::<Test>::get();
			advance_secs(HOUR);
			assert_ok!(SmartContract::settle_contract(RuntimeOrigin::signed(who), id));
			assert_eq!(billed(id).last().unwrap().1, level);
		}
	});
}

#[test]
fn billing_runs_in_the_block_hook_once_per_cycle_without_transactions() {
	run_test(|| {
		for (i, who) in [USER, OTHER, FARMER].into_iter().enumerate() {
			assert_ok!(SmartContract::create_name_contract(
				RuntimeOrigin::signed(who),
				format!("name{i}").into_bytes()
			));
		}
		System::reset_events();
		// Passes start at blocks 10, 20, 30: each contract is settled once per pass.
		run_to_block(35);
		for id in 1..=3 {
			assert_eq!(billed(id).len(), 3, "contract {id}");
		}
		assert_eq!(BillingPass::<Test>::get(), None);
		assert_eq!(
			LastPassCensus::<Test>::get(),
			BillingCensus { settled: 3, last_id_at_start: 3 }
		);
	});
}

#[test]
fn a_pass_spreads_the_live_contracts_over_the_frequency() {
	let per_block = |live, frequency| BillingPassState::starting(live, frequency, 0).per_block;
	assert_eq!(per_block(1_000_000, 600), 1_667);
	assert_eq!(per_block(1_200, 600), 2);
	assert_eq!(per_block(25, 10), 3);
	// At least one a block, even with nothing live or no frequency set.
	assert_eq!(per_block(0, 600), 1);
	assert_eq!(per_block(7, 0), 7);
	assert_eq!(per_block(u64::MAX, 1), u32::MAX);
	let pass = BillingPassState::starting(5, 10, 9);
	assert_eq!((pass.cursor, pass.settled, pass.last_id_at_start), (None, 0, 9));
}

#[test]
fn work_that_does_not_fit_a_block_carries_over() {
	run_test(|| {
		for i in 0..25u32 {
			let who = 1000 + i as u64;
			let _ = Balances::set_balance(&who, 100 * TFT);
			assert_ok!(Registry::create_twin(RuntimeOrigin::signed(who), None, None));
			assert_ok!(SmartContract::create_name_contract(
				RuntimeOrigin::signed(who),
				format!("name{i}").into_bytes()
			));
		}
		System::reset_events();
		run_to_block(10);
		// 25 contracts over 10 blocks: 3 a block, so the pass ends in block 18.
		assert_eq!(BillingPass::<Test>::get().unwrap().per_block, 3);
		run_to_block(19);
		for id in 1..=25 {
			assert_eq!(billed(id).len(), 1, "contract {id}");
		}
		assert_eq!(BillingPass::<Test>::get(), None);
	});
}

#[test]
fn the_next_pass_is_sized_from_what_the_last_one_counted() {
	run_test(|| {
		let name_contract = |i: u32| {
			let who = 1000 + i as u64;
			let _ = Balances::set_balance(&who, 100 * TFT);
			if Registry::create_twin(RuntimeOrigin::signed(who), None, None).is_err() {
				// The twin exists already.
			}
			assert_ok!(SmartContract::create_name_contract(
				RuntimeOrigin::signed(who),
				format!("name{i}").into_bytes()
			));
		};
		(0..25).for_each(name_contract);
		run_to_block(10);
		// No pass has counted yet: every contract created counts, 25 over 10 blocks.
		assert_eq!(BillingPass::<Test>::get().unwrap().per_block, 3);
		run_to_block(19);
		assert_eq!(
			LastPassCensus::<Test>::get(),
			BillingCensus { settled: 25, last_id_at_start: 25 }
		);

		// 20 end, 2 are created: at most 25 + 2 live, 7 in truth. Ending and creating changed
		// no count.
		for id in 1..=20u64 {
			assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(999 + id), id));
		}
		(25..27).for_each(name_contract);
		assert_eq!(
			LastPassCensus::<Test>::get(),
			BillingCensus { settled: 25, last_id_at_start: 25 }
		);
		System::reset_events();
		run_to_block(20);
		assert_eq!(BillingPass::<Test>::get().unwrap().per_block, 3);
		// The pass settles the 7 in blocks 20 to 22 and learns the true count.
		run_to_block(23);
		assert_eq!(BillingPass::<Test>::get(), None);
		assert_eq!(
			LastPassCensus::<Test>::get(),
			BillingCensus { settled: 7, last_id_at_start: 27 }
		);
		for id in 21..=27 {
			assert_eq!(billed(id).len(), 1, "contract {id}");
		}
		run_to_block(30);
		assert_eq!(BillingPass::<Test>::get().unwrap().per_block, 1);
	});
}

#[test]
fn an_owner_without_funds_enters_grace_and_recovers_after_a_top_up() {
	run_test(|| {
		create(USER, 1, HASH, 1);
		// Leave the owner 1 TFT and the existential deposit: less than 10 h of an IP.
		let _ = Balances::set_balance(&USER, TFT + ED + 1000);
		advance_secs(10 * HOUR);
		assert_ok!(SmartContract::settle_contract(RuntimeOrigin::signed(OTHER), 1));
		let debt = Contracts::<Test>::get(1).unwrap().billing.debt;
		assert!(debt > 0);
		assert_eq!(Contracts::<Test>::get(1).unwrap().state, ContractState::GracePeriod(1));
		System::assert_has_event(Event::ContractGracePeriodStarted { contract_id: 1, debt }.into());
		assert_noop!(
			SmartContract::update_node_contract(
				RuntimeOrigin::signed(USER),
				1,
				[3; 32],
				vec![],
				declared()
			),
			Error::<Test>::ContractInGracePeriod
		);

		// A top-up, then anyone settles: the debt is paid and the contract is deployed again.
		let _ = Balances::set_balance(&USER, 100 * TFT);
		assert_ok!(SmartContract::settle_contract(RuntimeOrigin::signed(OTHER), 1));
		assert_eq!(Contracts::<Test>::get(1).unwrap().billing.debt, 0);
		assert_eq!(Contracts::<Test>::get(1).unwrap().state, ContractState::Deployed);
		System::assert_has_event(Event::ContractGracePeriodEnded { contract_id: 1 }.into());
	});
}

#[test]
fn an_owner_who_never_pays_is_deleted_after_the_grace_period() {
	run_test(|| {
		create(USER, 1, HASH, 2);
		let _ = Balances::set_balance(&USER, ED);
		run_to_block(10);
		assert!(matches!(Contracts::<Test>::get(1).unwrap().state, ContractState::GracePeriod(10)));
		run_to_block(10 + GRACE_PERIOD);
		let unpaid = System::events()
			.into_iter()
			.find_map(|r| match r.event {
				RuntimeEvent::SmartContract(Event::ContractCanceled {
					contract_id: 1,
					cause: Cause::OutOfFunds,
					unpaid,
				}) => Some(unpaid),
				_ => None,
			})
			.expect("deleted for lack of funds");
		assert!(unpaid > 0);
		assert!(Contracts::<Test>::get(1).is_none());
		assert!(Farms::<Test>::get(1).unwrap().public_ips.iter().all(|ip| ip.contract_id == 0));
		// The deposit came back.
		assert_eq!(Balances::balance(&USER), TFT + ED);
		assert_eq!(Balances::total_balance(&USER), TFT + ED);
	});
}

#[test]
fn cancellation_settles_the_exact_time_since_the_last_settlement() {
	run_test(|| {
		assert_ok!(SmartContract::create_name_contract(
			RuntimeOrigin::signed(USER),
			b"short".to_vec()
		));
		advance_secs(1800);
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 1));
		// Half an hour of 13,900 uUSD at 50 mUSD, Gold: 139,000 · 40 %.
		assert_eq!(billed(1), vec![(55_600, DiscountLevel::Gold)]);
	});
}

#[test]
fn deleting_a_node_bills_its_contracts_a_last_time() {
	run_test(|| {
		create(USER, 1, HASH, 1);
		advance_secs(HOUR);
		assert_ok!(Registry::delete_node(RuntimeOrigin::signed(NODE1), 1));
		// One hour of one IP: 69,400 uUSD -> 1,388,000 units. 999 TFT last 10 months of that
		// (99.936 TFT a month): Silver, 60 %.
		assert_eq!(billed(1), vec![(832_800, DiscountLevel::Silver)]);
	});
}

#[test]
fn restricted_origin_sets_billing_parameters() {
	run_test(|| {
		assert_noop!(
			SmartContract::set_billing_frequency(RuntimeOrigin::signed(USER), 600),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			SmartContract::set_billing_frequency(RuntimeOrigin::root(), 0),
			Error::<Test>::ZeroBillingFrequency
		);
		assert_ok!(SmartContract::set_billing_frequency(RuntimeOrigin::root(), 600));
		assert_ok!(SmartContract::set_grace_period(RuntimeOrigin::root(), 201_600));
		assert_eq!(
			(BillingFrequency::<Test>::get(), GracePeriodBlocks::<Test>::get()),
			(600, 201_600)
		);
	});
}

// ---- conservation, as a property ----

#[derive(Clone, Debug)]
enum Step {
	Report { contract: u64, secs: u64, cru: u64, mru_gib: u64, nru: u64 },
	Blocks(u64),
	Settle(u64),
	Cancel(u64),
	TopUp(u64, u32),
	Drain(u64),
}

fn step() -> impl Strategy<Value = Step> {
	prop_oneof![
		(1..4u64, 1..7200u64, 1..5u64, 2..17u64, 0..5_000_000_000u64).prop_map(
			|(contract, secs, cru, mru_gib, nru)| Step::Report {
				contract,
				secs,
				cru,
				mru_gib,
				nru
			}
		),
		(1..25u64).prop_map(Step::Blocks),
		(1..4u64).prop_map(Step::Settle),
		(1..4u64).prop_map(Step::Cancel),
		(1..3u64, 1..500u32).prop_map(|(who, tft)| Step::TopUp(who, tft)),
		(1..3u64).prop_map(Step::Drain),
	]
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(48))]

	/// Random reports, settlements, cancellations and top-ups: balances plus burned always equal
	/// the starting issuance plus top-ups, and every unit billed is accounted for.
	#[test]
	fn billing_never_creates_or_loses_tft(steps in proptest::collection::vec(step(), 1..40)) {
		run_test(|| {
			let owners = [USER, OTHER];
			create(USER, 1, HASH, 1);
			create(OTHER, 1, [2; 32], 1);
			create(USER, 2, HASH, 0);
			let mut issuance = Balances::total_issuance();
			for step in steps {
				match step {
					Step::Report { contract, secs, cru, mru_gib, nru } => {
						advance_secs(secs);
						let node = if contract == 3 { NODE2 } else { NODE1 };
						let r = report(contract, now_secs(), cru, mru_gib, 100, nru);
						assert_ok!(submit(node, vec![r]));
					},
					Step::Blocks(n) => run_to_block(System::block_number() + n),
					Step::Settle(id) => { let _ = SmartContract::settle_contract(RuntimeOrigin::signed(FARMER), id); },
					Step::Cancel(id) => { let _ = SmartContract::cancel_contract(RuntimeOrigin::signed(FARMER), id); },
					Step::TopUp(i, tft) => {
						let who = owners[(i - 1) as usize];
						let amount = tft as u128 * TFT;
						let _ = Balances::set_balance(&who, Balances::balance(&who) + amount);
						issuance += amount;
					},
					Step::Drain(i) => {
						let who = owners[(i - 1) as usize];
						let free = Balances::balance(&who);
						if free > ED + 1 {
							let _ = Balances::set_balance(&who, ED + 1);
							issuance -= free - (ED + 1);
						}
					},
				}
				assert_eq!(issuance, Balances::total_issuance() + burned());
				let accounts: Balance = frame_system::Account::<Test>::iter()
					.map(|(_, info)| info.data.free + info.data.reserved)
					.sum();
				assert_eq!(accounts, Balances::total_issuance());
			}
			// Every unit billed left an owner and reached a payee or the burn.
			let billed_total: Balance = (1..=3).flat_map(billed).map(|(amount, _)| amount).sum();
			let payees: Balance = [FOUNDATION, STAKING_POOL, SALES].iter().map(|a| Balances::balance(a) - TFT).sum();
			assert_eq!(billed_total, payees + burned());
			SmartContract::do_try_state().expect("invariants");
		});
	}
}

#[test]
fn settle_contract_is_charged_for_the_path_it_took() {
	use crate::billing::{Settled, Shape};
	use frame_support::dispatch::GetDispatchInfo;
	run_test(|| {
		create(USER, 1, HASH, 2);
		let shape = Shape::of::<Test>(&Contracts::<Test>::get(1).unwrap());
		assert_eq!(shape.ips, 2);
		let declared = SmartContract::settle_contract_weight(None);
		let call = crate::Call::<Test>::settle_contract { contract_id: 1 };
		assert_eq!(call.get_dispatch_info().call_weight, declared);

		advance_secs(HOUR);
		let paid = SmartContract::settle_contract(RuntimeOrigin::signed(OTHER), 1).unwrap();
		let plain = SmartContract::settle_contract_weight(Some((Settled::Plain, shape)));
		assert_eq!(paid.actual_weight, Some(plain));
		assert!(plain.any_lt(declared), "a plain settlement is refunded");

		let _ = Balances::set_balance(&USER, ED);
		advance_secs(HOUR);
		let unpaid = SmartContract::settle_contract(RuntimeOrigin::signed(OTHER), 1).unwrap();
		let starting = SmartContract::settle_contract_weight(Some((Settled::GraceStarted, shape)));
		assert_eq!(unpaid.actual_weight, Some(starting));

		System::set_block_number(System::block_number() + GRACE_PERIOD);
		let ended = SmartContract::settle_contract(RuntimeOrigin::signed(OTHER), 1).unwrap();
		let deleting = SmartContract::settle_contract_weight(Some((Settled::Deleted, shape)));
		assert_eq!(ended.actual_weight, Some(deleting));
		assert!(deleting.all_lte(declared));
		assert!(Contracts::<Test>::get(1).is_none());
	});
}

#[test]
fn a_report_batch_is_charged_for_the_records_it_read() {
	use crate::billing::Shape;
	use frame_support::{
		dispatch::GetDispatchInfo,
		traits::Get,
		weights::{RuntimeDbWeight, Weight},
	};
	let db = <<Test as frame_system::Config>::DbWeight as Get<RuntimeDbWeight>>::get();
	let record = |data, ips| SmartContract::report_record_weight(Shape { data, ips, rent: false });
	// A record weighs more with its data and its IPs; the empty record is the benchmark's.
	assert_eq!(record(0, 0), Weight::zero());
	assert!(record(1024, 0).ref_time() > 0 && record(0, 2).ref_time() > 0);
	run_test(|| {
		// Contract 1: 1 KiB of data, 2 IPs; contract 2: none, on the other node.
		assert_ok!(SmartContract::create_node_contract(
			RuntimeOrigin::signed(USER),
			1,
			HASH,
			vec![7; 1024],
			2,
			declared(),
		));
		assert_ok!(SmartContract::confirm_deployment(RuntimeOrigin::signed(NODE1), 1, HASH));
		create(OTHER, 2, HASH, 0);
		let t0 = now_secs();
		advance_secs(600);
		let reports = vec![
			report(1, t0 + 600, 2, 4, 50, 0), // accrued
			report(2, t0 + 600, 2, 4, 50, 0), // node 2's: read, refused
			report(9, t0 + 600, 2, 4, 50, 0), // no record: refused
		];
		let call = crate::Call::<Test>::report_consumption {
			reports: reports.clone().try_into().unwrap(),
		};
		let declared_weight = call.get_dispatch_info().call_weight;
		assert_eq!(declared_weight, SmartContract::report_consumption_max_weight(3));

		let post = SmartContract::report_consumption(
			RuntimeOrigin::signed(NODE1),
			reports.try_into().unwrap(),
		)
		.unwrap();
		// Node 2's record is charged as the largest a node contract can have (a node has no
		// business reporting it); the missing record 9 as nothing read.
		let largest = record(MAX_DEPLOYMENT_DATA_LEN, pallet_registry::MAX_FARM_IPS);
		let expected = <Test as Config>::WeightInfo::report_consumption(3)
			+ record(1024, 2)
			+ largest - db.writes(2);
		assert_eq!(post.actual_weight, Some(expected));
		assert!(expected.all_lte(declared_weight));
		assert!(expected.ref_time() < declared_weight.ref_time(), "refunded");
		assert!(accrued(1) > 0);

		// The bound: a batch of the largest records, all of them written.
		assert_eq!(
			SmartContract::report_consumption_max_weight(MAX_REPORTS),
			<Test as Config>::WeightInfo::report_consumption(MAX_REPORTS)
				+ largest.saturating_mul(MAX_REPORTS.into())
		);
	});
}

/// The record a report writes back is the bytes of the whole record decoded, its billing record
/// changed, and encoded again; records that are not the node's own node contracts are not walked.
#[test]
fn a_report_rewrites_only_the_billing_record_of_its_contract() {
	use crate::consumption::{ReportedRecord, NODE_CONTRACT_VARIANT};
	use codec::{Decode, Encode};
	let raw = |id: u64| {
		frame_support::storage::unhashed::get_raw(&Contracts::<Test>::hashed_key_for(id)).unwrap()
	};
	run_test(|| {
		// 1: 1 KiB of data and 2 IPs; 2: nothing; 3: in grace; 4: on node 2; 5: a name; 6: a rent.
		assert_ok!(SmartContract::create_node_contract(
			RuntimeOrigin::signed(USER),
			1,
			HASH,
			(0..1024u32).map(|i| i as u8).collect(),
			2,
			declared(),
		));
		for hash in [[2; 32], [3; 32]] {
			let small = Resources { cru: 1, mru: GIB, sru: GIB, hru: 0 };
			assert_ok!(SmartContract::create_node_contract(
				RuntimeOrigin::signed(USER),
				1,
				hash,
				vec![],
				0,
				small,
			));
		}
		Contracts::<Test>::mutate(3, |c| c.as_mut().unwrap().state = ContractState::GracePeriod(7));
		create(OTHER, 2, HASH, 0);
		assert_ok!(SmartContract::create_name_contract(
			RuntimeOrigin::signed(USER),
			b"walked".to_vec()
		));
		assert_ok!(SmartContract::create_rent_contract(RuntimeOrigin::signed(OTHER), 2));

		let node = |c: &ContractOf<Test>| c.node_contract().unwrap().clone();
		for id in 1..=3u64 {
			let whole = ContractOf::<Test>::decode(&mut &raw(id)[..]).unwrap();
			let mut record = ReportedRecord::<Test>::read(raw(id), 1).unwrap();
			assert_eq!(record.capacity, node(&whole).capacity, "contract {id}");
			assert_eq!(record.billing, whole.billing, "contract {id}");
			assert_eq!(record.shape, crate::billing::Shape::of::<Test>(&whole), "contract {id}");

			let mut changed = whole.clone();
			for billing in [&mut record.billing, &mut changed.billing] {
				billing.accrued += 1_000_000_007;
				billing.grace = Some((9, true));
				if let BillingKind::Node { last_report_secs, used, .. } = &mut billing.kind {
					*last_report_secs = u64::MAX;
					used.cru = 3;
				}
			}
			assert_eq!(record.into_encoded(), changed.encode(), "contract {id}");
		}
		assert_eq!(ReportedRecord::<Test>::read(raw(1), 1).unwrap().shape.data, 1024);
		assert_eq!(ReportedRecord::<Test>::read(raw(1), 1).unwrap().shape.ips, 2);

		// Another node's, a name and a rent contract; a record cut short or too long.
		assert!(ReportedRecord::<Test>::read(raw(1), 2).is_none());
		assert!(ReportedRecord::<Test>::read(raw(4), 1).is_none());
		assert!(ReportedRecord::<Test>::read(raw(4), 2).is_some());
		assert!(ReportedRecord::<Test>::read(raw(5), 1).is_none());
		assert!(ReportedRecord::<Test>::read(raw(6), 2).is_none());
		let full = raw(1);
		for cut in [0, 20, 21, 60, full.len() / 2, full.len() - 1] {
			assert!(ReportedRecord::<Test>::read(full[..cut].to_vec(), 1).is_none(), "{cut}");
		}
		let mut longer = full.clone();
		longer.push(0);
		assert!(ReportedRecord::<Test>::read(longer, 1).is_none());

		let whole = ContractOf::<Test>::decode(&mut &full[..]).unwrap();
		assert_eq!(whole.contract_type.encode()[0], NODE_CONTRACT_VARIANT);
	});
}

#[test]
fn a_settlement_is_metered_for_the_size_of_its_record() {
	use crate::billing::{Settled, Shape};
	let small = Shape { data: 0, ips: 0, rent: false };
	let largest_node = Shape { rent: false, ..Shape::LARGEST };
	for path in [Settled::Plain, Settled::GraceStarted, Settled::GraceEnded, Settled::Deleted] {
		let (low, high) = (
			SmartContract::settlement_weight(path, small),
			SmartContract::settlement_weight(path, largest_node),
		);
		assert!(low.ref_time() < high.ref_time(), "{path:?}: {low:?} vs {high:?}");
		assert!(high.all_lte(SmartContract::heaviest_settlement()), "{path:?}");
	}
	// A rent contract also reads its node.
	let rent = Shape { rent: true, ..small };
	assert!(
		SmartContract::settlement_weight(Settled::Plain, rent).ref_time()
			> SmartContract::settlement_weight(Settled::Plain, small).ref_time()
	);

	// The hook meters a name contract at its own size, not at the largest record's.
	run_test(|| {
		assert_ok!(SmartContract::create_name_contract(
			RuntimeOrigin::signed(USER),
			b"abc".to_vec()
		));
		let shape = Shape::of::<Test>(&Contracts::<Test>::get(1).unwrap());
		assert_eq!(shape, Shape { data: 3, ips: 0, rent: false });
		System::set_block_number(BILLING_FREQUENCY);
		let declared = SmartContract::on_initialize(BILLING_FREQUENCY);
		assert_eq!(billed(1).len(), 1);
		use frame_support::{traits::Get, weights::RuntimeDbWeight};
		let db = <<Test as frame_system::Config>::DbWeight as Get<RuntimeDbWeight>>::get();
		// Frequency and pass, census and last id, price and time with the cursor's and census's
		// writes, the distribution, the settlement and its policy.
		let expected = db.reads(2)
			+ db.reads(2)
			+ db.reads_writes(2, 2)
			+ <Test as Config>::WeightInfo::distribute_payments()
			+ SmartContract::settlement_weight(Settled::Plain, shape)
			+ db.reads(1);
		assert_eq!(declared, expected);
	});
}

#[test]
fn try_state_catches_a_census_that_counts_too_few() {
	new_test_ext().execute_with(|| {
		for (i, who) in [USER, OTHER, FARMER].into_iter().enumerate() {
			assert_ok!(SmartContract::create_name_contract(
				RuntimeOrigin::signed(who),
				format!("name{i}").into_bytes()
			));
		}
		assert_ok!(SmartContract::do_try_state());
		// Between passes: a census that counts 2 of 3 live contracts.
		LastPassCensus::<Test>::put(BillingCensus { settled: 2, last_id_at_start: 3 });
		assert_eq!(
			SmartContract::do_try_state(),
			Err("LastPassCensus counts fewer contracts than live".into())
		);
		// During a pass: one that walked past every contract and counts none.
		let last_key = (1..=3u64).map(Contracts::<Test>::hashed_key_for).max().unwrap();
		BillingPass::<Test>::put(BillingPassState {
			cursor: Some(last_key.try_into().unwrap()),
			per_block: 1,
			settled: 0,
			last_id_at_start: 3,
		});
		assert_eq!(
			SmartContract::do_try_state(),
			Err("the billing pass counts fewer contracts than it walked past".into())
		);
	});
}
