//! One test per rule of SPEC §4.

use crate::{mock::*, Error, Event, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use gridchain_primitives::{Resources, GIB};
use pallet_registry::Farms;
use sp_runtime::DispatchError;

const HASH: [u8; 32] = [1; 32];
const HASH2: [u8; 32] = [2; 32];

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::SmartContract(HoldReason::ContractDeposit), &who)
}

fn create(
	who: AccountId,
	node: u32,
	hash: [u8; 32],
	data: Vec<u8>,
	ips: u32,
) -> sp_runtime::DispatchResult {
	SmartContract::create_node_contract(RuntimeOrigin::signed(who), node, hash, data, ips, SMALL)
}

fn update(who: AccountId, id: u64, hash: [u8; 32], data: Vec<u8>) -> sp_runtime::DispatchResult {
	SmartContract::update_node_contract(RuntimeOrigin::signed(who), id, hash, data, SMALL)
}

/// What most contracts of these tests declare: 1 vCPU, 1 GiB of memory, 10 GiB of SSD.
const SMALL: Resources = Resources { cru: 1, mru: GIB, sru: 10 * GIB, hru: 0 };

fn farm_ip_holders() -> Vec<u64> {
	Farms::<Test>::get(1).unwrap().public_ips.iter().map(|ip| ip.contract_id).collect()
}

// ---- creating node contracts ----

#[test]
fn create_node_contract_stores_the_seed_record() {
	run_test(|| {
		let data = b"ciphertext only the user can read".to_vec();
		assert_ok!(create(USER, 1, HASH, data.clone(), 0));
		let c = Contracts::<Test>::get(1).unwrap();
		assert_eq!((c.version, c.contract_id, c.twin_id), (1, 1, 4));
		assert_eq!(c.state, ContractState::Created);
		let nc = c.node_contract().unwrap();
		assert_eq!((nc.node_id, nc.deployment_hash, nc.public_ips), (1, HASH, 0));
		assert_eq!(nc.deployment_data.to_vec(), data);
		assert!(ContractsByTwin::<Test>::contains_key(4, 1));
		assert_eq!(ContractsByNode::<Test>::get(1, HASH), Some(1));
	});
}

#[test]
fn contract_ids_count_from_one_across_types() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 0));
		assert_ok!(SmartContract::create_name_contract(
			RuntimeOrigin::signed(USER),
			b"my-name".to_vec()
		));
		assert_ok!(SmartContract::create_rent_contract(RuntimeOrigin::signed(OTHER), 2));
		assert!(matches!(
			Contracts::<Test>::get(2).unwrap().contract_type,
			ContractType::Name { .. }
		));
		assert!(matches!(
			Contracts::<Test>::get(3).unwrap().contract_type,
			ContractType::Rent { node_id: 2 }
		));
		assert_eq!(LastContractId::<Test>::get(), 3);
	});
}

#[test]
fn deployment_data_of_8_kib_is_stored_byte_for_byte() {
	run_test(|| {
		let data: Vec<u8> = (0..8192u32).map(|i| (i * 31 % 251) as u8).collect();
		assert_ok!(create(USER, 1, HASH, data.clone(), 0));
		assert_eq!(
			Contracts::<Test>::get(1).unwrap().node_contract().unwrap().deployment_data.to_vec(),
			data
		);
	});
}

#[test]
fn deployment_data_over_8_kib_is_rejected() {
	run_test(|| {
		assert_noop!(
			create(USER, 1, HASH, vec![0; 8193], 0),
			Error::<Test>::DeploymentDataTooLarge
		);
	});
}

#[test]
fn create_node_contract_needs_a_twin_and_a_node() {
	run_test(|| {
		assert_noop!(create(99, 1, HASH, vec![], 0), Error::<Test>::TwinNotExists);
		assert_noop!(create(USER, 9, HASH, vec![], 0), Error::<Test>::NodeNotExists);
	});
}

#[test]
fn node_and_hash_are_unique_among_live_contracts() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 0));
		assert_noop!(create(OTHER, 1, HASH, vec![], 0), Error::<Test>::ContractIsNotUnique);
		// Same hash on another node is fine, and so is reuse once the first ends.
		assert_ok!(create(OTHER, 2, HASH, vec![], 0));
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 1));
		assert_ok!(create(OTHER, 1, HASH, vec![], 0));
	});
}

// ---- public IPs ----

#[test]
fn public_ips_are_reserved_in_farm_order_and_listed() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 2));
		assert_eq!(farm_ip_holders(), vec![1, 1, 0]);
		let nc = Contracts::<Test>::get(1).unwrap().node_contract().unwrap().clone();
		assert_eq!(nc.public_ips, 2);
		let ips: Vec<Vec<u8>> = nc.public_ips_list.iter().map(|ip| ip.ip.to_vec()).collect();
		assert_eq!(ips, vec![b"185.206.122.11/24".to_vec(), b"185.206.122.12/24".to_vec()]);
		assert_eq!(nc.public_ips_list[0].gateway.to_vec(), b"185.206.122.1".to_vec());
		System::assert_has_event(
			Event::IpsReserved { contract_id: 1, public_ips: nc.public_ips_list.to_vec() }.into(),
		);
		System::assert_last_event(
			Event::ContractCreated {
				contract_id: 1,
				twin_id: 4,
				node_id: Some(1),
				public_ips: nc.public_ips_list.to_vec(),
				deposit: TFT,
				capacity: SMALL,
			}
			.into(),
		);
	});
}

#[test]
fn too_few_ips_in_the_farm_reserves_nothing() {
	run_test(|| {
		assert_noop!(create(USER, 1, HASH, vec![], 4), Error::<Test>::FarmHasNotEnoughPublicIPs);
		assert_eq!(farm_ip_holders(), vec![0, 0, 0]);
	});
}

#[test]
fn too_few_free_ips_reserves_nothing() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 2));
		assert_noop!(
			create(OTHER, 2, HASH2, vec![], 2),
			Error::<Test>::FarmHasNotEnoughPublicIPsFree
		);
		assert_eq!(farm_ip_holders(), vec![1, 1, 0]);
	});
}

#[test]
fn cancel_by_user_frees_public_ips() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 2));
		let ips =
			Contracts::<Test>::get(1).unwrap().node_contract().unwrap().public_ips_list.to_vec();
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 1));
		assert_eq!(farm_ip_holders(), vec![0, 0, 0]);
		System::assert_has_event(Event::IpsFreed { contract_id: 1, public_ips: ips }.into());
		System::assert_last_event(
			Event::ContractCanceled { contract_id: 1, cause: Cause::CanceledByUser, unpaid: 0 }
				.into(),
		);
	});
}

#[test]
fn cancel_by_node_frees_public_ips() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 1));
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(NODE1), 1));
		assert_eq!(farm_ip_holders(), vec![0, 0, 0]);
		assert!(Contracts::<Test>::get(1).is_none());
		System::assert_last_event(
			Event::ContractCanceled { contract_id: 1, cause: Cause::CanceledByNode, unpaid: 0 }
				.into(),
		);
	});
}

#[test]
fn a_freed_ip_can_be_reserved_again() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 3));
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 1));
		assert_ok!(create(OTHER, 2, HASH2, vec![], 3));
		assert_eq!(farm_ip_holders(), vec![2, 2, 2]);
	});
}

#[test]
fn a_reserved_ip_cannot_be_removed_from_its_farm() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 1));
		assert_noop!(
			Registry::remove_farm_ip(
				RuntimeOrigin::signed(FARMER),
				1,
				b"185.206.122.11/24".to_vec()
			),
			pallet_registry::Error::<Test>::IpInUse
		);
	});
}

// ---- deployment ----

#[test]
fn the_node_confirms_a_matching_hash() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 0));
		assert_noop!(
			SmartContract::confirm_deployment(RuntimeOrigin::signed(NODE1), 1, HASH2),
			Error::<Test>::DeploymentHashMismatch
		);
		assert_ok!(SmartContract::confirm_deployment(RuntimeOrigin::signed(NODE1), 1, HASH));
		assert_eq!(Contracts::<Test>::get(1).unwrap().state, ContractState::Deployed);
		System::assert_last_event(Event::ContractDeployed { contract_id: 1, node_id: 1 }.into());
		assert_noop!(
			SmartContract::confirm_deployment(RuntimeOrigin::signed(NODE1), 1, HASH),
			Error::<Test>::ContractNotAwaitingDeployment
		);
	});
}

#[test]
fn only_the_contracts_node_confirms() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 0));
		for who in [USER, NODE2, FARMER] {
			assert_noop!(
				SmartContract::confirm_deployment(RuntimeOrigin::signed(who), 1, HASH),
				Error::<Test>::NotContractNode
			);
		}
		assert_noop!(
			SmartContract::confirm_deployment(RuntimeOrigin::signed(NODE1), 7, HASH),
			Error::<Test>::ContractNotExists
		);
	});
}

#[test]
fn update_bumps_version_and_returns_to_created() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![1; 10], 0));
		assert_ok!(SmartContract::confirm_deployment(RuntimeOrigin::signed(NODE1), 1, HASH));
		assert_ok!(update(USER, 1, HASH2, vec![2; 20]));
		let c = Contracts::<Test>::get(1).unwrap();
		assert_eq!((c.version, c.state), (2, ContractState::Created));
		let nc = c.node_contract().unwrap();
		assert_eq!((nc.deployment_hash, nc.deployment_data.to_vec()), (HASH2, vec![2; 20]));
		assert_eq!(ContractsByNode::<Test>::get(1, HASH2), Some(1));
		assert!(ContractsByNode::<Test>::get(1, HASH).is_none());
		System::assert_last_event(
			Event::ContractUpdated { contract_id: 1, version: 2, capacity: SMALL }.into(),
		);
		// The node confirms the new hash, not the old one.
		assert_noop!(
			SmartContract::confirm_deployment(RuntimeOrigin::signed(NODE1), 1, HASH),
			Error::<Test>::DeploymentHashMismatch
		);
		assert_ok!(SmartContract::confirm_deployment(RuntimeOrigin::signed(NODE1), 1, HASH2));
	});
}

#[test]
fn only_the_owner_updates_and_never_in_grace() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 0));
		assert_noop!(update(OTHER, 1, HASH2, vec![]), Error::<Test>::NotContractOwner);
		assert_noop!(update(NODE1, 1, HASH2, vec![]), Error::<Test>::NotContractOwner);
		Contracts::<Test>::mutate(1, |c| c.as_mut().unwrap().state = ContractState::GracePeriod(1));
		assert_noop!(update(USER, 1, HASH2, vec![]), Error::<Test>::ContractInGracePeriod);
	});
}

#[test]
fn update_keeps_hashes_unique_and_data_bounded() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 0));
		assert_ok!(create(USER, 1, HASH2, vec![], 0));
		assert_noop!(update(USER, 1, HASH2, vec![]), Error::<Test>::ContractIsNotUnique);
		assert_noop!(update(USER, 1, HASH, vec![0; 8193]), Error::<Test>::DeploymentDataTooLarge);
		assert_ok!(SmartContract::create_name_contract(
			RuntimeOrigin::signed(USER),
			b"abc".to_vec()
		));
		assert_noop!(update(USER, 3, HASH, vec![]), Error::<Test>::NotANodeContract);
	});
}

// ---- who may cancel ----

#[test]
fn nobody_else_cancels() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 1));
		for who in [OTHER, NODE2, FARMER] {
			assert_noop!(
				SmartContract::cancel_contract(RuntimeOrigin::signed(who), 1),
				Error::<Test>::NotAllowedToCancel
			);
		}
		assert_noop!(
			SmartContract::cancel_contract_collective(RuntimeOrigin::signed(USER), 1),
			DispatchError::BadOrigin
		);
		assert_noop!(
			SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 5),
			Error::<Test>::ContractNotExists
		);
	});
}

#[test]
fn the_collective_cancels_anything() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 1));
		assert_ok!(SmartContract::create_name_contract(
			RuntimeOrigin::signed(OTHER),
			b"name".to_vec()
		));
		assert_ok!(SmartContract::cancel_contract_collective(RuntimeOrigin::root(), 1));
		assert_ok!(SmartContract::cancel_contract_collective(RuntimeOrigin::root(), 2));
		assert_eq!(farm_ip_holders(), vec![0, 0, 0]);
		System::assert_last_event(
			Event::ContractCanceled {
				contract_id: 2,
				cause: Cause::CanceledByCollective,
				unpaid: 0,
			}
			.into(),
		);
		assert_eq!((held(USER), held(OTHER)), (0, 0));
	});
}

#[test]
fn deleting_a_node_cancels_its_contracts_by_node() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![], 1));
		assert_ok!(create(OTHER, 1, HASH2, vec![], 1));
		assert_ok!(create(OTHER, 2, HASH, vec![], 1));
		assert_ok!(Registry::delete_node(RuntimeOrigin::signed(NODE1), 1));
		assert!(Contracts::<Test>::get(1).is_none());
		assert!(Contracts::<Test>::get(2).is_none());
		assert!(Contracts::<Test>::get(3).is_some());
		assert_eq!(farm_ip_holders(), vec![0, 0, 3]);
		System::assert_has_event(
			Event::ContractCanceled { contract_id: 1, cause: Cause::CanceledByNode, unpaid: 0 }
				.into(),
		);
		System::assert_has_event(
			Event::ContractCanceled { contract_id: 2, cause: Cause::CanceledByNode, unpaid: 0 }
				.into(),
		);
		assert_eq!(held(USER), 0);
	});
}

// ---- name contracts ----

#[test]
fn names_are_valid_and_unique() {
	run_test(|| {
		let name = |who, n: &[u8]| {
			SmartContract::create_name_contract(RuntimeOrigin::signed(who), n.to_vec())
		};
		assert_noop!(name(USER, b"ab"), Error::<Test>::NameTooShort);
		assert_noop!(name(USER, &[b'a'; 65]), Error::<Test>::NameTooLong);
		assert_noop!(name(USER, b"Upper"), Error::<Test>::NameInvalidCharacters);
		assert_noop!(name(USER, b"dot.name"), Error::<Test>::NameInvalidCharacters);
		assert_ok!(name(USER, b"good_name-1"));
		assert_noop!(name(OTHER, b"good_name-1"), Error::<Test>::NameExists);
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 1));
		assert_ok!(name(OTHER, b"good_name-1"));
	});
}

#[test]
fn no_node_cancels_a_name_contract() {
	run_test(|| {
		assert_ok!(SmartContract::create_name_contract(
			RuntimeOrigin::signed(USER),
			b"mine".to_vec()
		));
		assert_noop!(
			SmartContract::cancel_contract(RuntimeOrigin::signed(NODE1), 1),
			Error::<Test>::NotAllowedToCancel
		);
	});
}

// ---- rent contracts ----

#[test]
fn one_rent_contract_per_node() {
	run_test(|| {
		assert_ok!(SmartContract::create_rent_contract(RuntimeOrigin::signed(USER), 1));
		assert_eq!(ActiveRentContractForNode::<Test>::get(1), Some(1));
		assert_noop!(
			SmartContract::create_rent_contract(RuntimeOrigin::signed(OTHER), 1),
			Error::<Test>::NodeAlreadyRented
		);
		assert_noop!(
			SmartContract::create_rent_contract(RuntimeOrigin::signed(OTHER), 9),
			Error::<Test>::NodeNotExists
		);
	});
}

#[test]
fn a_node_with_contracts_of_others_cannot_be_rented() {
	run_test(|| {
		assert_ok!(create(OTHER, 1, HASH, vec![], 0));
		assert_noop!(
			SmartContract::create_rent_contract(RuntimeOrigin::signed(USER), 1),
			Error::<Test>::NodeHasContractsOfOtherTwins
		);
		// The twin's own contracts are no obstacle.
		assert_ok!(SmartContract::create_rent_contract(RuntimeOrigin::signed(OTHER), 1));
	});
}

#[test]
fn only_the_renter_deploys_on_a_rented_node() {
	run_test(|| {
		assert_ok!(SmartContract::create_rent_contract(RuntimeOrigin::signed(USER), 1));
		assert_noop!(create(OTHER, 1, HASH, vec![], 0), Error::<Test>::NodeNotAvailableToDeploy);
		assert_ok!(create(USER, 1, HASH, vec![], 0));
	});
}

#[test]
fn a_dedicated_farm_node_needs_a_rent_contract() {
	run_test(|| {
		assert_ok!(Registry::set_farm_dedicated(RuntimeOrigin::root(), 1, true));
		assert_noop!(create(USER, 1, HASH, vec![], 0), Error::<Test>::NodeNotAvailableToDeploy);
		assert_ok!(SmartContract::create_rent_contract(RuntimeOrigin::signed(USER), 1));
		assert_ok!(create(USER, 1, HASH, vec![], 0));
	});
}

#[test]
fn a_rent_contract_cannot_end_while_node_contracts_live() {
	run_test(|| {
		assert_ok!(SmartContract::create_rent_contract(RuntimeOrigin::signed(USER), 1));
		assert_ok!(create(USER, 1, HASH, vec![], 0));
		assert_noop!(
			SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 1),
			Error::<Test>::NodeHasActiveContracts
		);
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 2));
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 1));
		assert!(ActiveRentContractForNode::<Test>::get(1).is_none());
		// Free again for anyone.
		assert_ok!(create(OTHER, 1, HASH, vec![], 0));
	});
}

// ---- deposits ----

#[test]
fn the_deposit_is_one_tft_plus_a_milli_tft_per_byte() {
	run_test(|| {
		let free_before = Balances::balance(&USER);
		assert_ok!(create(USER, 1, HASH, vec![0; 1000], 0));
		assert_eq!(held(USER), TFT + 1000 * TFT / 1000);
		assert_eq!(Balances::balance(&USER), free_before - 2 * TFT);
		assert_eq!(Contracts::<Test>::get(1).unwrap().billing.deposit, 2 * TFT);
	});
}

#[test]
fn the_deposit_follows_an_update() {
	run_test(|| {
		assert_ok!(create(USER, 1, HASH, vec![0; 1000], 0));
		assert_ok!(update(USER, 1, HASH2, vec![0; 3000]));
		assert_eq!(held(USER), 4 * TFT);
		assert_ok!(update(USER, 1, HASH, vec![]));
		assert_eq!(held(USER), TFT);
	});
}

#[test]
fn the_deposit_comes_back_however_the_contract_ends() {
	run_test(|| {
		let start = Balances::total_balance(&USER);
		assert_ok!(create(USER, 1, HASH, vec![0; 500], 0));
		assert_ok!(create(USER, 2, HASH, vec![0; 500], 0));
		assert_ok!(create(USER, 1, HASH2, vec![0; 500], 0));
		assert_ok!(SmartContract::create_name_contract(
			RuntimeOrigin::signed(USER),
			b"nm1".to_vec()
		));
		assert_eq!(held(USER), 3 * (TFT + TFT / 2) + TFT);
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 1)); // by user
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(NODE2), 2)); // by node
		assert_ok!(SmartContract::cancel_contract_collective(RuntimeOrigin::root(), 3)); // collective
		assert_ok!(Registry::delete_node(RuntimeOrigin::signed(NODE1), 1)); // nothing left there
		assert_ok!(SmartContract::cancel_contract(RuntimeOrigin::signed(USER), 4));
		assert_eq!(held(USER), 0);
		assert_eq!(Balances::total_balance(&USER), start);
		assert_eq!(Balances::balance(&USER), start);
	});
}

#[test]
fn an_owner_who_cannot_pay_the_deposit_gets_a_clear_error_and_nothing_is_reserved() {
	run_test(|| {
		assert_noop!(
			create(POOR, 1, HASH, vec![], 2),
			Error::<Test>::InsufficientBalanceForDeposit
		);
		assert_eq!(held(POOR), 0);
		assert_eq!(farm_ip_holders(), vec![0, 0, 0]);
		assert_noop!(
			SmartContract::create_name_contract(RuntimeOrigin::signed(POOR), b"poor".to_vec()),
			Error::<Test>::InsufficientBalanceForDeposit
		);
		assert_noop!(
			SmartContract::create_rent_contract(RuntimeOrigin::signed(POOR), 1),
			Error::<Test>::InsufficientBalanceForDeposit
		);
	});
}
