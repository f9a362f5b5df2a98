//! Declared capacity (SPEC §4.5): one test per rule, each played by the party it guards against.

use crate::{mock::*, Error, Event, *};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::{GetDispatchInfo, Pays},
	traits::fungible::InspectHold,
};
use gridchain_primitives::{Resources, GIB};
use pallet_registry::{Farms, Location};
use sp_runtime::{traits::Dispatchable, DispatchResult};

const HASH: [u8; 32] = [1; 32];

fn hash(i: u32) -> [u8; 32] {
	let mut h = [0xc0; 32];
	h[..4].copy_from_slice(&i.to_le_bytes());
	h
}

fn res(cru: u64, mru_gib: u64, sru_gib: u64) -> Resources {
	Resources { cru, mru: mru_gib * GIB, sru: sru_gib * GIB, hru: 0 }
}

fn create_declaring(
	who: AccountId,
	node: u32,
	hash: [u8; 32],
	capacity: Resources,
) -> DispatchResult {
	SmartContract::create_node_contract(RuntimeOrigin::signed(who), node, hash, vec![], 0, capacity)
}

fn free(node: u32) -> Resources {
	pallet_registry::Pallet::<Test>::free_resources(node).unwrap()
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::SmartContract(HoldReason::ContractDeposit), &who)
}

fn rejections() -> Vec<(u64, ReportRejection)> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::SmartContract(Event::ConsumptionReportRejected {
				contract_id,
				reason,
			}) => Some((contract_id, reason)),
			_ => None,
		})
		.collect()
}

fn report(contract_id: u64, timestamp: u64, used: Resources, nru: u64) -> Consumption {
	Consumption {
		contract_id,
		timestamp,
		cru: used.cru,
		sru: used.sru,
		hru: used.hru,
		mru: used.mru,
		nru,
	}
}

fn submit(node: AccountId, reports: Vec<Consumption>) {
	assert_ok!(SmartContract::report_consumption(
		RuntimeOrigin::signed(node),
		reports.try_into().unwrap()
	));
}

fn now_secs() -> u64 {
	Timestamp::get() / 1000
}

/// A tenant cannot take more of a node than is free: node 1 has 8 vCPUs, 32 GiB and 1,000 GiB.
#[test]
fn a_node_is_never_over_committed() {
	run_test(|| {
		assert_ok!(create_declaring(USER, 1, hash(1), res(5, 16, 400)));
		assert_eq!(free(1), res(3, 16, 600));
		// 4 vCPUs do not fit in the 3 left; nothing is reserved or held.
		let deposit_before = held(OTHER);
		assert_noop!(
			create_declaring(OTHER, 1, hash(2), res(4, 1, 1)),
			Error::<Test>::NodeHasNotEnoughCapacity
		);
		// Neither does memory beyond the 16 GiB left, with IPs asked: none is taken.
		assert_noop!(
			SmartContract::create_node_contract(
				RuntimeOrigin::signed(OTHER),
				1,
				hash(2),
				vec![],
				2,
				res(1, 17, 1)
			),
			Error::<Test>::NodeHasNotEnoughCapacity
		);
		assert!(Farms::<Test>::get(1).unwrap().public_ips.iter().all(|ip| ip.contract_id == 0));
		assert_eq!(held(OTHER), deposit_before);
		// Exactly what is left fits; then the node is full.
		assert_ok!(create_declaring(OTHER, 1, hash(2), res(3, 16, 600)));
		assert_eq!(free(1), Resources::default());
		assert_eq!(
			NodeDeclared::<Test>::get(1),
			NodeDeclaredUse { capacity: node_resources(), contracts: 2 }
		);
		assert_eq!(
			pallet_registry::Pallet::<Test>::nodes_with_free_resources(res(1, 0, 0)),
			vec![2]
		);
		// Another node is untouched.
		assert_eq!(free(2), node_resources());
		// Ending a contract gives its capacity back.
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 1));
		assert_eq!(free(1), res(5, 16, 400));
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(OTHER), 2));
		assert!(!NodeDeclared::<Test>::contains_key(1), "an empty node keeps no entry");
	});
}

#[test]
fn a_growing_update_must_fit_and_a_shrinking_one_always_passes() {
	run_test(|| {
		assert_ok!(create_declaring(USER, 1, hash(1), res(4, 16, 500)));
		assert_ok!(create_declaring(OTHER, 1, hash(2), res(4, 8, 500)));
		let update = |cap: Resources| {
			SmartContract::update_node_contract(
				RuntimeOrigin::signed(USER),
				1,
				hash(3),
				vec![],
				cap,
			)
		};
		// One more vCPU does not fit, even with memory given back; the contract stays as it was.
		assert_noop!(update(res(5, 8, 500)), Error::<Test>::NodeHasNotEnoughCapacity);
		// Memory up to what is free (8 GiB more), with fewer vCPUs: taken.
		assert_ok!(update(res(2, 24, 500)));
		System::assert_last_event(
			Event::ContractUpdated { contract_id: 1, version: 2, capacity: res(2, 24, 500) }.into(),
		);
		let nc = Contracts::<Test>::get(1).unwrap().node_contract().unwrap().clone();
		assert_eq!(nc.capacity, res(2, 24, 500));
		assert_eq!(free(1), res(2, 0, 0));
		assert_eq!(NodeDeclared::<Test>::get(1).contracts, 2);
	});
}

/// A node whose contracts declare more than the node has (as a version 3 chain may leave it):
/// an owner may still shrink a contract, and grow none of what is over-committed.
#[test]
fn an_over_committed_node_lets_owners_shrink() {
	run_test(|| {
		assert_ok!(create_declaring(USER, 1, hash(1), res(4, 16, 500)));
		NodeDeclared::<Test>::mutate(1, |d| d.capacity = res(12, 16, 500));
		let update = |cap: Resources| {
			SmartContract::update_node_contract(
				RuntimeOrigin::signed(USER),
				1,
				hash(2),
				vec![],
				cap,
			)
		};
		assert_noop!(update(res(5, 16, 500)), Error::<Test>::NodeHasNotEnoughCapacity);
		assert_ok!(update(res(2, 16, 500)));
		assert_eq!(NodeDeclared::<Test>::get(1).capacity, res(10, 16, 500));
		// Put the sum back as the contract declares, for the invariants.
		NodeDeclared::<Test>::mutate(1, |d| d.capacity = res(2, 16, 500));
	});
}

/// A node cannot shrink below what it promised its tenants.
#[test]
fn a_node_cannot_shrink_below_what_its_contracts_declare() {
	run_test(|| {
		assert_ok!(create_declaring(USER, 1, hash(1), res(6, 16, 500)));
		let location = || Location {
			country: b"BE".to_vec(),
			city: b"Ghent".to_vec(),
			latitude: b"51".to_vec(),
			longitude: b"3".to_vec(),
		};
		let smaller = Resources { cru: 5, ..node_resources() };
		assert_noop!(
			Registry::update_node(RuntimeOrigin::signed(NODE1), 1, smaller, location()),
			pallet_registry::Error::<Test>::ResourcesBelowDeclared
		);
		let enough = Resources { cru: 6, ..node_resources() };
		assert_ok!(Registry::update_node(RuntimeOrigin::signed(NODE1), 1, enough, location()));
	});
}

/// A node bills only what a contract declares, and only once it has deployed it.
#[test]
fn reports_count_within_the_declared_capacity_of_a_contract_its_node_deployed() {
	run_test(|| {
		let declared = res(2, 4, 50);
		assert_ok!(create_declaring(USER, 1, HASH, declared));
		let t0 = now_secs();
		Timestamp::set_timestamp(Timestamp::get() + 600_000);
		// Never confirmed: nothing counts, however small.
		submit(NODE1, vec![report(1, t0 + 100, res(1, 1, 1), 0)]);
		assert_eq!(rejections(), vec![(1, ReportRejection::NeverDeployed)]);
		assert_ok!(SmartContract::confirm_deployment(RuntimeOrigin::signed(NODE1), 1, HASH));

		// Each of cru, sru, hru and mru above the declaration is refused; nru is not capped.
		System::reset_events();
		let above = [
			Resources { cru: 3, ..declared },
			Resources { sru: declared.sru + 1, ..declared },
			Resources { hru: 1, ..declared },
			Resources { mru: declared.mru + 1, ..declared },
		];
		submit(NODE1, above.iter().map(|u| report(1, t0 + 200, *u, 0)).collect());
		assert_eq!(rejections(), vec![(1, ReportRejection::ExceedsContractCapacity); 4]);
		assert_eq!(Contracts::<Test>::get(1).unwrap().billing.accrued, 0);
		submit(NODE1, vec![report(1, t0 + 300, declared, 1 << 40)]);
		assert!(Contracts::<Test>::get(1).unwrap().billing.accrued > 0);

		// After an update the node runs the old deployment until it confirms: still billable,
		// within the new declaration.
		assert_ok!(SmartContract::update_node_contract(
			RuntimeOrigin::signed(USER),
			1,
			[2; 32],
			vec![],
			res(1, 4, 50)
		));
		System::reset_events();
		submit(
			NODE1,
			vec![report(1, t0 + 400, declared, 0), report(1, t0 + 401, res(1, 4, 50), 0)],
		);
		assert_eq!(rejections(), vec![(1, ReportRejection::ExceedsContractCapacity)]);
		let BillingKind::Node { used, last_report_secs, ever_deployed, .. } =
			Contracts::<Test>::get(1).unwrap().billing.kind
		else {
			panic!("not a node contract")
		};
		assert_eq!((used, last_report_secs, ever_deployed), (res(1, 4, 50), t0 + 401, true));
	});
}

/// A twin that fills a node with cheap contracts cannot make deleting or renting it outrun its
/// weight: the node holds at most `MaxContractsPerNode`, and both calls are charged for a full
/// node and refunded to what they walked.
#[test]
fn a_full_node_is_bounded_and_its_calls_pay_for_what_they_walk() {
	run_test(|| {
		let max = MAX_CONTRACTS_PER_NODE;
		let _ = <Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(
			&USER,
			10_000 * TFT,
		);
		for i in 0..max {
			assert_ok!(create_declaring(USER, 1, hash(i), Resources::default()));
		}
		assert_eq!(NodeDeclared::<Test>::get(1).contracts, max);
		assert_noop!(
			create_declaring(OTHER, 1, hash(max), Resources::default()),
			Error::<Test>::TooManyContractsOnNode
		);

		// Renting: charged for a full node, which this is.
		let rent = RuntimeCall::SmartContract(Call::create_rent_contract { node_id: 1 });
		let declared = rent.get_dispatch_info().call_weight;
		let weights = <Test as Config>::WeightInfo::create_rent_contract;
		assert_eq!(declared, weights(max));
		let post = rent.dispatch(RuntimeOrigin::signed(USER)).unwrap();
		assert_eq!(post.actual_weight, Some(weights(max)));

		// Deleting the node: charged for the fullest node, refunded to the contracts it ended.
		let delete = RuntimeCall::Registry(pallet_registry::Call::delete_node { node_id: 1 });
		let declared = delete.get_dispatch_info().call_weight;
		let registry = <<Test as pallet_registry::Config>::WeightInfo as pallet_registry::WeightInfo>::delete_node;
		let full = SmartContract::node_deletion_weight(max, max.min(pallet_registry::MAX_FARM_IPS));
		assert_eq!(declared, registry() + full);
		let post = delete.dispatch(RuntimeOrigin::signed(NODE1)).unwrap();
		assert_eq!(
			post.actual_weight,
			Some(registry() + SmartContract::node_deletion_weight(max, 0))
		);
		assert!(post.actual_weight.unwrap().all_lte(declared));
		assert_eq!(Contracts::<Test>::iter().count(), 0);
		assert!(!NodeDeclared::<Test>::contains_key(1));

		// A node with fewer contracts is charged less.
		let delete = RuntimeCall::Registry(pallet_registry::Call::delete_node { node_id: 2 });
		let post = delete.dispatch(RuntimeOrigin::signed(NODE2)).unwrap();
		assert_eq!(
			post.actual_weight,
			Some(registry() + SmartContract::node_deletion_weight(0, 0))
		);
		assert_eq!(post.pays_fee, Pays::Yes);
	});
}

/// Version 3 → 4: a contract declares what it last reported (or zero), counts as deployed once
/// if its node confirmed or reported on it, and each node sums its contracts.
#[test]
fn the_v4_migration_declares_what_contracts_last_reported() {
	use crate::migrations::v4::{ContractV3, MigrateV3ToV4};
	use codec::Encode;
	use frame_support::{
		storage::unhashed,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};
	run_test(|| {
		// 1: confirmed and reported; 2: reported on but never confirmed; 3: neither; 4: a name.
		for (i, who) in [(1, USER), (2, OTHER), (3, USER)] {
			assert_ok!(create_declaring(who, 1, hash(i), res(2, 4, 50)));
		}
		assert_ok!(SmartContract::confirm_deployment(RuntimeOrigin::signed(NODE1), 1, hash(1)));
		assert_ok!(SmartContract::create_name_contract(
			RuntimeOrigin::signed(USER),
			b"four".to_vec()
		));
		let used = |id: u64, cru: u64| {
			Contracts::<Test>::mutate(id, |c| {
				if let Some(BillingKind::Node { used, .. }) =
					c.as_mut().map(|c| &mut c.billing.kind)
				{
					*used = res(cru, 2, 10);
				}
			})
		};
		used(1, 2);
		used(2, 1);
		// Rewrite the state as version 3 stored it.
		for (id, c) in Contracts::<Test>::iter().collect::<Vec<_>>() {
			unhashed::put_raw(&Contracts::<Test>::hashed_key_for(id), &ContractV3::of(&c).encode());
		}
		let _ = NodeDeclared::<Test>::clear(u32::MAX, None);
		StorageVersion::new(3).put::<SmartContract>();

		MigrateV3ToV4::<Test>::on_runtime_upgrade();
		let contract = |id: u64| Contracts::<Test>::get(id).unwrap();
		let node = |id: u64| {
			(
				contract(id).node_contract().unwrap().capacity,
				match contract(id).billing.kind {
					BillingKind::Node { ever_deployed, .. } => ever_deployed,
					_ => unreachable!(),
				},
			)
		};
		assert_eq!(node(1), (res(2, 2, 10), true));
		assert_eq!(node(2), (res(1, 2, 10), true));
		assert_eq!(node(3), (Resources::default(), false));
		assert_eq!(
			contract(4).contract_type,
			ContractType::Name { name: b"four".to_vec().try_into().unwrap() }
		);
		assert_eq!(
			NodeDeclared::<Test>::get(1),
			NodeDeclaredUse { capacity: res(3, 4, 20), contracts: 3 }
		);
		assert_eq!(SmartContract::on_chain_storage_version(), StorageVersion::new(4));

		// At version 4 it does nothing.
		let before: Vec<_> = Contracts::<Test>::iter().collect();
		MigrateV3ToV4::<Test>::on_runtime_upgrade();
		assert_eq!(Contracts::<Test>::iter().collect::<Vec<_>>(), before);
	});
}
