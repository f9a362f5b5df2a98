//! One test per rule of SPEC §3.

use crate::{mock::*, Error, Event, *};
use frame_support::{assert_noop, assert_ok};
use gridchain_primitives::{Resources, UnitPrices, GIB};
use sp_runtime::{DispatchError, Percent};

fn location(country: &str) -> LocationInput {
	Location {
		country: country.as_bytes().to_vec(),
		city: b"Ghent".to_vec(),
		latitude: b"51.05".to_vec(),
		longitude: b"3.72".to_vec(),
	}
}

fn resources() -> Resources {
	Resources { cru: 8, mru: 16 * GIB, sru: 500 * GIB, hru: 2000 * GIB }
}

fn twin(who: AccountId) {
	assert_ok!(Registry::create_twin(RuntimeOrigin::signed(who), None, None));
}

/// ALICE owns farm 1; BOB is node 1 on it.
fn farm_with_node() {
	twin(ALICE);
	twin(BOB);
	assert_ok!(Registry::create_farm(RuntimeOrigin::signed(ALICE), b"alice-farm".to_vec()));
	assert_ok!(Registry::create_node(RuntimeOrigin::signed(BOB), 1, resources(), location("BE")));
}

fn add_ip(ip: &str, gw: &str) -> sp_runtime::DispatchResult {
	Registry::add_farm_ip(
		RuntimeOrigin::signed(ALICE),
		1,
		ip.as_bytes().to_vec(),
		gw.as_bytes().to_vec(),
	)
}

// ---- twins ----

#[test]
fn twin_ids_count_from_one() {
	run_test(|| {
		twin(ALICE);
		twin(BOB);
		assert_eq!(TwinIdByAccount::<Test>::get(ALICE), Some(1));
		assert_eq!(TwinIdByAccount::<Test>::get(BOB), Some(2));
		assert_eq!(Twins::<Test>::get(2).unwrap().account_id, BOB);
		System::assert_last_event(Event::TwinCreated { twin_id: 2, account_id: BOB }.into());
	});
}

#[test]
fn create_twin_stores_key_and_relay() {
	run_test(|| {
		assert_ok!(Registry::create_twin(
			RuntimeOrigin::signed(ALICE),
			Some([7u8; 32]),
			Some(b"relay.grid.example".to_vec())
		));
		let t = Twins::<Test>::get(1).unwrap();
		assert_eq!(t.pk, Some([7u8; 32]));
		assert_eq!(t.relay.unwrap().into_inner(), b"relay.grid.example".to_vec());
	});
}

#[test]
fn an_account_has_at_most_one_twin() {
	run_test(|| {
		twin(ALICE);
		assert_noop!(
			Registry::create_twin(RuntimeOrigin::signed(ALICE), None, None),
			Error::<Test>::TwinExists
		);
	});
}

#[test]
fn relay_longer_than_256_bytes_is_rejected() {
	run_test(|| {
		assert_noop!(
			Registry::create_twin(RuntimeOrigin::signed(ALICE), None, Some(vec![b'a'; 257])),
			Error::<Test>::RelayTooLong
		);
		assert_ok!(Registry::create_twin(
			RuntimeOrigin::signed(ALICE),
			None,
			Some(vec![b'a'; 256])
		));
	});
}

#[test]
fn update_twin_replaces_key_and_relay() {
	run_test(|| {
		assert_ok!(Registry::create_twin(RuntimeOrigin::signed(ALICE), Some([1; 32]), None));
		assert_ok!(Registry::update_twin(RuntimeOrigin::signed(ALICE), None, Some(b"r".to_vec())));
		let t = Twins::<Test>::get(1).unwrap();
		assert_eq!(t.pk, None);
		assert_eq!(t.relay.unwrap().into_inner(), b"r".to_vec());
		System::assert_last_event(Event::TwinUpdated { twin_id: 1 }.into());
	});
}

#[test]
fn update_twin_needs_a_twin_and_a_short_relay() {
	run_test(|| {
		assert_noop!(
			Registry::update_twin(RuntimeOrigin::signed(ALICE), None, None),
			Error::<Test>::TwinNotExists
		);
		twin(ALICE);
		assert_noop!(
			Registry::update_twin(RuntimeOrigin::signed(ALICE), None, Some(vec![0; 300])),
			Error::<Test>::RelayTooLong
		);
	});
}

// ---- farms ----

#[test]
fn farm_ids_count_from_one_and_use_policy_one() {
	run_test(|| {
		twin(ALICE);
		assert_ok!(Registry::create_farm(RuntimeOrigin::signed(ALICE), b"farm_A-1".to_vec()));
		assert_ok!(Registry::create_farm(RuntimeOrigin::signed(ALICE), b"farm_B-2".to_vec()));
		let farm = Farms::<Test>::get(2).unwrap();
		assert_eq!(
			(farm.id, farm.twin_id, farm.pricing_policy_id, farm.dedicated),
			(2, 1, 1, false)
		);
		assert_eq!(FarmIdByName::<Test>::get(farm.name).unwrap(), 2);
		System::assert_last_event(
			Event::FarmCreated { farm_id: 2, twin_id: 1, name: b"farm_B-2".to_vec() }.into(),
		);
	});
}

#[test]
fn create_farm_needs_a_twin() {
	run_test(|| {
		assert_noop!(
			Registry::create_farm(RuntimeOrigin::signed(ALICE), b"farm".to_vec()),
			Error::<Test>::TwinNotExists
		);
	});
}

#[test]
fn farm_name_is_3_to_40_safe_characters() {
	run_test(|| {
		twin(ALICE);
		let create =
			|name: &[u8]| Registry::create_farm(RuntimeOrigin::signed(ALICE), name.to_vec());
		assert_noop!(create(b"ab"), Error::<Test>::FarmNameTooShort);
		assert_noop!(create(&[b'a'; 41]), Error::<Test>::FarmNameTooLong);
		assert_noop!(create(b"my farm"), Error::<Test>::FarmNameInvalidCharacters);
		assert_noop!(create(b"farm.io"), Error::<Test>::FarmNameInvalidCharacters);
		assert_noop!(create("fárm".as_bytes()), Error::<Test>::FarmNameInvalidCharacters);
		assert_ok!(create(b"abc"));
		assert_ok!(create(&[b'z'; 40]));
	});
}

#[test]
fn farm_names_are_unique() {
	run_test(|| {
		twin(ALICE);
		twin(BOB);
		assert_ok!(Registry::create_farm(RuntimeOrigin::signed(ALICE), b"shared".to_vec()));
		assert_noop!(
			Registry::create_farm(RuntimeOrigin::signed(BOB), b"shared".to_vec()),
			Error::<Test>::FarmNameTaken
		);
	});
}

// ---- farm IPs ----

#[test]
fn farm_owner_adds_a_free_public_ip() {
	run_test(|| {
		farm_with_node();
		assert_ok!(add_ip("185.206.122.33/24", "185.206.122.1"));
		let ips = Farms::<Test>::get(1).unwrap().public_ips;
		assert_eq!(ips.len(), 1);
		assert_eq!(ips[0].ip.to_vec(), b"185.206.122.33/24".to_vec());
		assert_eq!(ips[0].gateway.to_vec(), b"185.206.122.1".to_vec());
		assert_eq!(ips[0].contract_id, 0);
		System::assert_last_event(
			Event::FarmIpAdded {
				farm_id: 1,
				ip: b"185.206.122.33/24".to_vec(),
				gateway: b"185.206.122.1".to_vec(),
			}
			.into(),
		);
	});
}

#[test]
fn only_the_farm_owner_adds_ips() {
	run_test(|| {
		farm_with_node();
		assert_noop!(
			Registry::add_farm_ip(
				RuntimeOrigin::signed(BOB),
				1,
				b"185.206.122.33/24".to_vec(),
				b"185.206.122.1".to_vec()
			),
			Error::<Test>::NotFarmOwner
		);
		assert_noop!(
			Registry::add_farm_ip(
				RuntimeOrigin::signed(ALICE),
				9,
				b"185.206.122.33/24".to_vec(),
				b"185.206.122.1".to_vec()
			),
			Error::<Test>::FarmNotExists
		);
	});
}

#[test]
fn invalid_ips_are_rejected_with_their_reason() {
	run_test(|| {
		farm_with_node();
		assert_noop!(add_ip("185.206.122.33", "185.206.122.1"), Error::<Test>::InvalidPublicIp);
		assert_noop!(add_ip("not an ip/24", "185.206.122.1"), Error::<Test>::InvalidPublicIp);
		assert_noop!(add_ip("185.206.122.33/31", "185.206.122.32"), Error::<Test>::InvalidIpPrefix);
		assert_noop!(add_ip("185.206.122.33/24", "gateway"), Error::<Test>::InvalidGateway);
		assert_noop!(add_ip("10.0.0.5/24", "10.0.0.1"), Error::<Test>::IpNotPublicUnicast);
		assert_noop!(add_ip("185.206.122.33/24", "192.168.1.1"), Error::<Test>::IpNotPublicUnicast);
		assert_noop!(
			add_ip("185.206.122.0/24", "185.206.122.1"),
			Error::<Test>::IpIsNetworkOrBroadcast
		);
		assert_noop!(
			add_ip("185.206.122.255/24", "185.206.122.1"),
			Error::<Test>::IpIsNetworkOrBroadcast
		);
		assert_noop!(
			add_ip("185.206.122.33/24", "185.206.123.1"),
			Error::<Test>::GatewayNotInSubnet
		);
		assert_noop!(
			add_ip("185.206.122.33/24", "185.206.122.255"),
			Error::<Test>::InvalidGatewayAddress
		);
		assert_noop!(
			add_ip("185.206.122.33/24", "185.206.122.0"),
			Error::<Test>::InvalidGatewayAddress
		);
	});
}

#[test]
fn an_ip_is_unique_on_its_farm() {
	run_test(|| {
		farm_with_node();
		assert_ok!(add_ip("185.206.122.33/24", "185.206.122.1"));
		assert_noop!(add_ip("185.206.122.33/24", "185.206.122.1"), Error::<Test>::IpAlreadyExists);
		// The same address with another prefix is the same IP.
		assert_noop!(add_ip("185.206.122.33/25", "185.206.122.1"), Error::<Test>::IpAlreadyExists);
	});
}

#[test]
fn a_farm_holds_at_most_256_ips() {
	run_test(|| {
		farm_with_node();
		for i in 0..256u32 {
			let ip = format!("185.{}.{}.10/24", 100 + i / 250, i % 250);
			let gw = format!("185.{}.{}.1", 100 + i / 250, i % 250);
			assert_ok!(add_ip(&ip, &gw));
		}
		assert_noop!(add_ip("186.1.1.10/24", "186.1.1.1"), Error::<Test>::FarmIpLimitReached);
	});
}

#[test]
fn owner_removes_a_free_ip() {
	run_test(|| {
		farm_with_node();
		assert_ok!(add_ip("185.206.122.33/24", "185.206.122.1"));
		assert_ok!(Registry::remove_farm_ip(
			RuntimeOrigin::signed(ALICE),
			1,
			b"185.206.122.33/24".to_vec()
		));
		assert!(Farms::<Test>::get(1).unwrap().public_ips.is_empty());
		System::assert_last_event(
			Event::FarmIpRemoved { farm_id: 1, ip: b"185.206.122.33/24".to_vec() }.into(),
		);
	});
}

#[test]
fn an_ip_held_by_a_contract_cannot_be_removed() {
	run_test(|| {
		farm_with_node();
		assert_ok!(add_ip("185.206.122.33/24", "185.206.122.1"));
		Farms::<Test>::mutate(1, |f| f.as_mut().unwrap().public_ips[0].contract_id = 7);
		assert_noop!(
			Registry::remove_farm_ip(
				RuntimeOrigin::signed(ALICE),
				1,
				b"185.206.122.33/24".to_vec()
			),
			Error::<Test>::IpInUse
		);
	});
}

#[test]
fn removing_an_unknown_ip_or_by_another_twin_fails() {
	run_test(|| {
		farm_with_node();
		assert_ok!(add_ip("185.206.122.33/24", "185.206.122.1"));
		assert_noop!(
			Registry::remove_farm_ip(
				RuntimeOrigin::signed(ALICE),
				1,
				b"185.206.122.34/24".to_vec()
			),
			Error::<Test>::IpNotExists
		);
		assert_noop!(
			Registry::remove_farm_ip(RuntimeOrigin::signed(BOB), 1, b"185.206.122.33/24".to_vec()),
			Error::<Test>::NotFarmOwner
		);
	});
}

// ---- nodes ----

#[test]
fn a_twin_registers_itself_as_a_node() {
	run_test(|| {
		farm_with_node();
		let node = Nodes::<Test>::get(1).unwrap();
		assert_eq!((node.id, node.farm_id, node.twin_id), (1, 1, 2));
		assert_eq!(node.resources, resources());
		assert_eq!(node.location.country.to_vec(), b"BE".to_vec());
		assert_eq!(node.certification, NodeCertification::Diy);
		assert_eq!(NodeIdByTwin::<Test>::get(2), Some(1));
		System::assert_last_event(
			Event::NodeCreated { node_id: 1, farm_id: 1, twin_id: 2, resources: resources() }
				.into(),
		);
	});
}

#[test]
fn one_node_per_twin() {
	run_test(|| {
		farm_with_node();
		assert_noop!(
			Registry::create_node(RuntimeOrigin::signed(BOB), 1, resources(), location("BE")),
			Error::<Test>::TwinAlreadyHasNode
		);
	});
}

#[test]
fn create_node_needs_a_twin_and_a_farm() {
	run_test(|| {
		farm_with_node();
		assert_noop!(
			Registry::create_node(RuntimeOrigin::signed(CHARLIE), 1, resources(), location("BE")),
			Error::<Test>::TwinNotExists
		);
		twin(CHARLIE);
		assert_noop!(
			Registry::create_node(RuntimeOrigin::signed(CHARLIE), 5, resources(), location("BE")),
			Error::<Test>::FarmNotExists
		);
	});
}

#[test]
fn a_node_meets_the_minimum_resources() {
	run_test(|| {
		farm_with_node();
		twin(CHARLIE);
		let create = |r: Resources| {
			Registry::create_node(RuntimeOrigin::signed(CHARLIE), 1, r, location("BE"))
		};
		let ok = Resources { cru: 1, mru: 2 * GIB, sru: 100 * GIB, hru: 0 };
		assert_noop!(create(Resources { cru: 0, ..ok }), Error::<Test>::CruBelowMinimum);
		assert_noop!(create(Resources { mru: 2 * GIB - 1, ..ok }), Error::<Test>::MruBelowMinimum);
		assert_noop!(
			create(Resources { sru: 100 * GIB - 1, ..ok }),
			Error::<Test>::SruBelowMinimum
		);
		assert_ok!(create(ok));
	});
}

#[test]
fn location_fields_are_at_most_64_bytes() {
	run_test(|| {
		farm_with_node();
		twin(CHARLIE);
		let mut loc = location("BE");
		loc.city = vec![b'x'; 65];
		assert_noop!(
			Registry::create_node(RuntimeOrigin::signed(CHARLIE), 1, resources(), loc),
			Error::<Test>::LocationFieldTooLong
		);
	});
}

#[test]
fn only_the_node_updates_itself() {
	run_test(|| {
		farm_with_node();
		let bigger = Resources { cru: 16, ..resources() };
		assert_noop!(
			Registry::update_node(RuntimeOrigin::signed(ALICE), 1, bigger, location("NL")),
			Error::<Test>::NotNodeOwner
		);
		assert_noop!(
			Registry::update_node(
				RuntimeOrigin::signed(BOB),
				1,
				Resources { cru: 0, ..bigger },
				location("NL")
			),
			Error::<Test>::CruBelowMinimum
		);
		assert_noop!(
			Registry::update_node(RuntimeOrigin::signed(BOB), 2, bigger, location("NL")),
			Error::<Test>::NodeNotExists
		);
		assert_ok!(Registry::update_node(RuntimeOrigin::signed(BOB), 1, bigger, location("NL")));
		let node = Nodes::<Test>::get(1).unwrap();
		assert_eq!(node.resources, bigger);
		assert_eq!(node.location.country.to_vec(), b"NL".to_vec());
		System::assert_last_event(Event::NodeUpdated { node_id: 1, resources: bigger }.into());
	});
}

#[test]
fn the_node_deletes_itself_and_its_contracts_end_first() {
	run_test(|| {
		farm_with_node();
		assert_ok!(Registry::delete_node(RuntimeOrigin::signed(BOB), 1));
		assert!(Nodes::<Test>::get(1).is_none());
		assert!(NodeIdByTwin::<Test>::get(2).is_none());
		assert!(Registry::nodes_by_farm(1).is_empty());
		assert_eq!(DELETED_NODES.with(|d| d.borrow().clone()), vec![1]);
		System::assert_last_event(Event::NodeDeleted { node_id: 1 }.into());
		// The twin may register again, as a new node id.
		assert_ok!(Registry::create_node(
			RuntimeOrigin::signed(BOB),
			1,
			resources(),
			location("BE")
		));
		assert_eq!(NodeIdByTwin::<Test>::get(2), Some(2));
	});
}

#[test]
fn the_farm_owner_deletes_a_node() {
	run_test(|| {
		farm_with_node();
		assert_ok!(Registry::delete_node(RuntimeOrigin::signed(ALICE), 1));
		assert!(Nodes::<Test>::get(1).is_none());
	});
}

#[test]
fn nobody_else_deletes_a_node() {
	run_test(|| {
		farm_with_node();
		twin(CHARLIE);
		assert_noop!(
			Registry::delete_node(RuntimeOrigin::signed(CHARLIE), 1),
			Error::<Test>::NotNodeOrFarmOwner
		);
		assert_noop!(
			Registry::delete_node(RuntimeOrigin::signed(BOB), 3),
			Error::<Test>::NodeNotExists
		);
		assert!(DELETED_NODES.with(|d| d.borrow().is_empty()));
	});
}

// ---- restricted calls ----

#[test]
fn restricted_origin_certifies_nodes() {
	run_test(|| {
		farm_with_node();
		assert_noop!(
			Registry::set_node_certification(
				RuntimeOrigin::signed(ALICE),
				1,
				NodeCertification::Certified
			),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Registry::set_node_certification(
				RuntimeOrigin::root(),
				9,
				NodeCertification::Certified
			),
			Error::<Test>::NodeNotExists
		);
		assert_ok!(Registry::set_node_certification(
			RuntimeOrigin::root(),
			1,
			NodeCertification::Certified
		));
		assert_eq!(Nodes::<Test>::get(1).unwrap().certification, NodeCertification::Certified);
		System::assert_last_event(
			Event::NodeCertificationSet { node_id: 1, certification: NodeCertification::Certified }
				.into(),
		);
	});
}

#[test]
fn restricted_origin_dedicates_farms() {
	run_test(|| {
		farm_with_node();
		assert_noop!(
			Registry::set_farm_dedicated(RuntimeOrigin::signed(ALICE), 1, true),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Registry::set_farm_dedicated(RuntimeOrigin::root(), 4, true),
			Error::<Test>::FarmNotExists
		);
		assert_ok!(Registry::set_farm_dedicated(RuntimeOrigin::root(), 1, true));
		assert!(Farms::<Test>::get(1).unwrap().dedicated);
		System::assert_last_event(Event::FarmDedicatedSet { farm_id: 1, dedicated: true }.into());
	});
}

#[test]
fn genesis_holds_pricing_policy_one() {
	run_test(|| {
		let p = PricingPolicies::<Test>::get(1).unwrap();
		assert_eq!(p.unit_prices(), UnitPrices::GENESIS);
		assert_eq!(
			(p.cu, p.su, p.nu, p.ipu, p.unique_name),
			(305_600, 194_400, 50_000, 69_400, 13_900)
		);
		assert_eq!(p.discount_for_dedicated_nodes, Percent::from_percent(50));
		assert_eq!((p.foundation_account, p.sales_account), (EVE, FERDIE));
	});
}

#[test]
fn restricted_origin_creates_and_updates_pricing_policies() {
	run_test(|| {
		let create = |origin| {
			Registry::create_pricing_policy(
				origin,
				b"p2".to_vec(),
				1,
				2,
				3,
				4,
				5,
				Percent::from_percent(20),
				DAVE,
				CHARLIE,
			)
		};
		assert_noop!(create(RuntimeOrigin::signed(ALICE)), DispatchError::BadOrigin);
		assert_ok!(create(RuntimeOrigin::root()));
		System::assert_last_event(Event::PricingPolicyCreated { policy_id: 2 }.into());
		let p = PricingPolicies::<Test>::get(2).unwrap();
		assert_eq!((p.su, p.cu, p.nu, p.ipu, p.unique_name), (1, 2, 3, 4, 5));

		assert_ok!(Registry::update_pricing_policy(
			RuntimeOrigin::root(),
			2,
			b"p2b".to_vec(),
			10,
			20,
			30,
			40,
			50,
			Percent::from_percent(30),
			EVE,
			FERDIE
		));
		let p = PricingPolicies::<Test>::get(2).unwrap();
		assert_eq!((p.su, p.cu, p.name.to_vec()), (10, 20, b"p2b".to_vec()));
		System::assert_last_event(Event::PricingPolicyUpdated { policy_id: 2 }.into());
	});
}

#[test]
fn pricing_policy_rules() {
	run_test(|| {
		assert_noop!(
			Registry::update_pricing_policy(
				RuntimeOrigin::root(),
				9,
				b"x".to_vec(),
				1,
				1,
				1,
				1,
				1,
				Percent::zero(),
				EVE,
				EVE
			),
			Error::<Test>::PricingPolicyNotExists
		);
		assert_noop!(
			Registry::create_pricing_policy(
				RuntimeOrigin::root(),
				vec![],
				1,
				1,
				1,
				1,
				1,
				Percent::zero(),
				EVE,
				EVE
			),
			Error::<Test>::InvalidPricingPolicyName
		);
		assert_noop!(
			Registry::create_pricing_policy(
				RuntimeOrigin::root(),
				vec![b'n'; 65],
				1,
				1,
				1,
				1,
				1,
				Percent::zero(),
				EVE,
				EVE
			),
			Error::<Test>::InvalidPricingPolicyName
		);
	});
}

// ---- lookup ----

#[test]
fn lookup_lists_nodes_by_farm_and_country() {
	run_test(|| {
		farm_with_node();
		twin(CHARLIE);
		twin(DAVE);
		assert_ok!(Registry::create_farm(RuntimeOrigin::signed(CHARLIE), b"other".to_vec()));
		assert_ok!(Registry::create_node(
			RuntimeOrigin::signed(CHARLIE),
			1,
			resources(),
			location("NL")
		));
		assert_ok!(Registry::create_node(
			RuntimeOrigin::signed(DAVE),
			2,
			resources(),
			location("be")
		));
		assert_eq!(Registry::nodes_by_farm(1), vec![1, 2]);
		assert_eq!(Registry::nodes_by_farm(2), vec![3]);
		assert_eq!(Registry::nodes_by_country(b"BE".to_vec()), vec![1, 3]);
		assert_eq!(Registry::nodes_by_country(b"NL".to_vec()), vec![2]);
		assert!(Registry::nodes_by_country(b"FR".to_vec()).is_empty());
	});
}

#[test]
fn lookup_subtracts_what_contracts_use() {
	run_test(|| {
		farm_with_node();
		let want = Resources { cru: 4, mru: 8 * GIB, sru: 0, hru: 0 };
		assert_eq!(Registry::nodes_with_free_resources(want), vec![1]);
		USED.with(|u| *u.borrow_mut() = Resources { cru: 6, ..Default::default() });
		assert!(Registry::nodes_with_free_resources(want).is_empty());
		assert_eq!(Registry::free_resources(1).unwrap().cru, 2);
		assert_eq!(Registry::free_resources(9), None);
	});
}

#[test]
fn lookup_lists_farms_with_free_ips() {
	run_test(|| {
		farm_with_node();
		assert_ok!(add_ip("185.206.122.33/24", "185.206.122.1"));
		assert_ok!(add_ip("185.206.122.34/24", "185.206.122.1"));
		assert_eq!(Registry::farms_with_free_ips(2), vec![1]);
		Farms::<Test>::mutate(1, |f| f.as_mut().unwrap().public_ips[0].contract_id = 3);
		assert!(Registry::farms_with_free_ips(2).is_empty());
		assert_eq!(Registry::farms_with_free_ips(1), vec![1]);
	});
}
