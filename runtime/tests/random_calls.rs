//! Random call sequences against the real runtime (from the dev genesis preset): arbitrary calls
//! of the Registry, SmartContract, TftPrice and Balances pallets from arbitrary accounts, with
//! malformed IPs and names, oversized deployment data, reports for foreign contracts, and blocks
//! passing (the billing hook runs). After every step the pallets' invariants (`do_try_state`) hold;
//! no node's contracts declare more than its resources, and no accepted report exceeds its
//! contract's declared capacity (SPEC §4.5); and no TFT appears or vanishes: the accounts'
//! balances add up to the issuance, and the issuance dropped by exactly the `TokensBurned`.
//!
//! `PROPTEST_CASES` sets the number of sequences (16 here by default, 80 steps each plus the
//! blocks they pass); `PROPTEST_CASES=1300` is a nightly run of 104,000 steps. `RANDOM_CALLS_TRACE=1`
//! prints each call and its outcome.

mod common;

use common::{dev_genesis, pass_block};
use frame_support::BoundedVec;
use gridchain_primitives::Resources;
use gridchain_runtime::{
	AccountId, Balances, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, System,
};
use proptest::prelude::*;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Dispatchable, MultiAddress};

const GIB: u64 = 1 << 30;
/// The SSD every report says its contract uses.
const REPORTED_SRU: u64 = 10 * GIB;
/// The dev keyring: Alice … Ferdie (endowed on the dev chain), then One and Two (no TFT).
fn account(who: u8) -> AccountId {
	let keys: Vec<Sr25519Keyring> = Sr25519Keyring::iter().collect();
	keys[who as usize % keys.len()].to_account_id()
}

#[derive(Clone, Debug)]
enum Step {
	CreateTwin { who: u8, pk: bool },
	CreateFarm { who: u8, name: Vec<u8> },
	AddFarmIp { who: u8, farm: u32, ip: String, gateway: String },
	RemoveFarmIp { who: u8, farm: u32, ip: String },
	CreateNode { who: u8, farm: u32, cru: u64, mru_gib: u64, sru_gib: u64 },
	UpdateNode { who: u8, node: u32, cru: u64, mru_gib: u64, sru_gib: u64 },
	DeleteNode { who: u8, node: u32 },
	CreateNodeContract { who: u8, node: u32, hash: u8, data_len: usize, ips: u32, cap: Declared },
	UpdateNodeContract { who: u8, contract: u64, hash: u8, data_len: usize, cap: Declared },
	CreateNameContract { who: u8, name: Vec<u8> },
	CreateRentContract { who: u8, node: u32 },
	Confirm { who: u8, contract: u64, hash: u8 },
	Cancel { who: u8, contract: u64 },
	Report { who: u8, contract: u64, cru: u64, mru_gib: u64, nru: u64, ahead_secs: i64 },
	Settle { who: u8, contract: u64 },
	Transfer { from: u8, to: u8, tft: u64 },
	SetPrice { who: u8, price_musd: u32 },
	Blocks(u32),
}

/// A declared capacity: vCPUs, GiB of memory, GiB of SSD.
#[derive(Clone, Copy, Debug)]
struct Declared(u64, u64, u64);

impl Declared {
	fn resources(self) -> Resources {
		Resources { cru: self.0, mru: self.1 * GIB, sru: self.2 * GIB, hru: 0 }
	}
}

/// Up to a node's size and beyond: the prelude's nodes have 16 vCPUs, 64 GiB and 2,000 GiB.
fn declared() -> impl Strategy<Value = Declared> {
	(0u64..12, 0u64..48, 0u64..1500).prop_map(|(cru, mru, sru)| Declared(cru, mru, sru))
}

fn ip_text() -> impl Strategy<Value = String> {
	prop_oneof![
		(33u8..40).prop_map(|h| format!("185.206.122.{h}/24")),
		Just("185.206.122.1/24".to_string()),
		Just("10.0.0.5/24".to_string()),
		Just("185.206.122.300/24".to_string()),
		Just("not an ip".to_string()),
		"[0-9./]{0,20}",
	]
}

fn name() -> impl Strategy<Value = Vec<u8>> {
	prop_oneof![
		"[a-z0-9_-]{0,12}".prop_map(String::into_bytes),
		proptest::collection::vec(any::<u8>(), 0..80),
	]
}

fn step() -> impl Strategy<Value = Step> {
	let who = 0u8..8;
	prop_oneof![
		1 => (who.clone(), any::<bool>()).prop_map(|(who, pk)| Step::CreateTwin { who, pk }),
		1 => (who.clone(), name()).prop_map(|(who, name)| Step::CreateFarm { who, name }),
		3 => (who.clone(), 0u32..4, ip_text(), prop_oneof![Just("185.206.122.1".to_string()), ip_text()])
			.prop_map(|(who, farm, ip, gateway)| Step::AddFarmIp { who, farm, ip, gateway }),
		1 => (who.clone(), 0u32..4, ip_text()).prop_map(|(who, farm, ip)| Step::RemoveFarmIp { who, farm, ip }),
		3 => (who.clone(), 0u32..4, 0u64..20, 0u64..70, 0u64..3000)
			.prop_map(|(who, farm, cru, mru_gib, sru_gib)| Step::CreateNode { who, farm, cru, mru_gib, sru_gib }),
		1 => (who.clone(), 0u32..5, 0u64..20, 0u64..70, 0u64..3000)
			.prop_map(|(who, node, cru, mru_gib, sru_gib)| Step::UpdateNode { who, node, cru, mru_gib, sru_gib }),
		1 => (who.clone(), 0u32..5).prop_map(|(who, node)| Step::DeleteNode { who, node }),
		5 => (who.clone(), 0u32..5, 0u8..4, prop_oneof![0usize..300, 8000usize..8300], 0u32..4, declared())
			.prop_map(|(who, node, hash, data_len, ips, cap)| Step::CreateNodeContract { who, node, hash, data_len, ips, cap }),
		2 => (who.clone(), 0u64..12, 0u8..4, 0usize..9000, declared())
			.prop_map(|(who, contract, hash, data_len, cap)| Step::UpdateNodeContract { who, contract, hash, data_len, cap }),
		2 => (who.clone(), name()).prop_map(|(who, name)| Step::CreateNameContract { who, name }),
		1 => (who.clone(), 0u32..5).prop_map(|(who, node)| Step::CreateRentContract { who, node }),
		2 => (who.clone(), 0u64..12, 0u8..4).prop_map(|(who, contract, hash)| Step::Confirm { who, contract, hash }),
		2 => (who.clone(), 0u64..12).prop_map(|(who, contract)| Step::Cancel { who, contract }),
		4 => (who.clone(), 0u64..12, 0u64..10, 0u64..40, 0u64..5_000_000_000, -7200i64..7200)
			.prop_map(|(who, contract, cru, mru_gib, nru, ahead_secs)| Step::Report { who, contract, cru, mru_gib, nru, ahead_secs }),
		1 => (who.clone(), 0u64..12).prop_map(|(who, contract)| Step::Settle { who, contract }),
		3 => (who.clone(), who.clone(), prop_oneof![0u64..5, 0u64..2_000_000])
			.prop_map(|(from, to, tft)| Step::Transfer { from, to, tft }),
		1 => (who.clone(), 0u32..1000).prop_map(|(who, price_musd)| Step::SetPrice { who, price_musd }),
		5 => prop_oneof![1u32..12, 1u32..250].prop_map(Step::Blocks),
	]
}

fn prelude() -> Vec<Step> {
	let mut steps: Vec<Step> = (0..6).map(|who| Step::CreateTwin { who, pk: true }).collect();
	steps.push(Step::CreateFarm { who: 0, name: b"farm-one".to_vec() });
	steps.push(Step::CreateFarm { who: 1, name: b"farm-two".to_vec() });
	for host in 33..37 {
		let ip = format!("185.206.122.{host}/24");
		steps.push(Step::AddFarmIp { who: 0, farm: 1, ip, gateway: "185.206.122.1".into() });
	}
	for host in 40..42 {
		let ip = format!("185.206.122.{host}/24");
		steps.push(Step::AddFarmIp { who: 1, farm: 2, ip, gateway: "185.206.122.1".into() });
	}
	for (who, farm) in [(2, 1), (3, 1), (5, 2)] {
		steps.push(Step::CreateNode { who, farm, cru: 16, mru_gib: 64, sru_gib: 2000 });
	}
	steps
}

/// One block: the billing hook with the parent's time, then this block's time (6 s later).
fn call(step: &Step) -> Option<(AccountId, RuntimeCall)> {
	use pallet_registry::Call as R;
	use pallet_smart_contract::Call as C;
	let hash = |h: u8| [h; 32];
	let data = |len: usize| vec![0xa5u8; len];
	let location = || pallet_registry::types::Location {
		country: b"BE".to_vec(),
		city: b"Ghent".to_vec(),
		latitude: b"51.05".to_vec(),
		longitude: b"3.72".to_vec(),
	};
	let (who, call) = match step.clone() {
		Step::CreateTwin { who, pk } => (
			who,
			RuntimeCall::Registry(R::create_twin { pk: pk.then_some([who; 32]), relay: None }),
		),
		Step::CreateFarm { who, name } => (who, RuntimeCall::Registry(R::create_farm { name })),
		Step::AddFarmIp { who, farm, ip, gateway } => (
			who,
			RuntimeCall::Registry(R::add_farm_ip {
				farm_id: farm,
				ip: ip.into_bytes(),
				gateway: gateway.into_bytes(),
			}),
		),
		Step::RemoveFarmIp { who, farm, ip } => {
			(who, RuntimeCall::Registry(R::remove_farm_ip { farm_id: farm, ip: ip.into_bytes() }))
		}
		Step::CreateNode { who, farm, cru, mru_gib, sru_gib } => (
			who,
			RuntimeCall::Registry(R::create_node {
				farm_id: farm,
				resources: Resources { cru, mru: mru_gib * GIB, sru: sru_gib * GIB, hru: 0 },
				location: location(),
			}),
		),
		Step::UpdateNode { who, node, cru, mru_gib, sru_gib } => (
			who,
			RuntimeCall::Registry(R::update_node {
				node_id: node,
				resources: Resources { cru, mru: mru_gib * GIB, sru: sru_gib * GIB, hru: 0 },
				location: location(),
			}),
		),
		Step::DeleteNode { who, node } => {
			(who, RuntimeCall::Registry(R::delete_node { node_id: node }))
		}
		Step::CreateNodeContract { who, node, hash: h, data_len, ips, cap } => (
			who,
			RuntimeCall::SmartContract(C::create_node_contract {
				node_id: node,
				deployment_hash: hash(h),
				deployment_data: data(data_len),
				public_ips: ips,
				capacity: cap.resources(),
			}),
		),
		Step::UpdateNodeContract { who, contract, hash: h, data_len, cap } => (
			who,
			RuntimeCall::SmartContract(C::update_node_contract {
				contract_id: contract,
				deployment_hash: hash(h),
				deployment_data: data(data_len),
				capacity: cap.resources(),
			}),
		),
		Step::CreateNameContract { who, name } => {
			(who, RuntimeCall::SmartContract(C::create_name_contract { name }))
		}
		Step::CreateRentContract { who, node } => {
			(who, RuntimeCall::SmartContract(C::create_rent_contract { node_id: node }))
		}
		Step::Confirm { who, contract, hash: h } => (
			who,
			RuntimeCall::SmartContract(C::confirm_deployment {
				contract_id: contract,
				deployment_hash: hash(h),
			}),
		),
		Step::Cancel { who, contract } => {
			(who, RuntimeCall::SmartContract(C::cancel_contract { contract_id: contract }))
		}
		Step::Report { who, contract, cru, mru_gib, nru, ahead_secs } => {
			let now = pallet_timestamp::Now::<Runtime>::get() / 1000;
			let report = pallet_smart_contract::types::Consumption {
				contract_id: contract,
				timestamp: now.saturating_add_signed(ahead_secs),
				cru,
				sru: REPORTED_SRU,
				hru: 0,
				mru: mru_gib * GIB,
				nru,
			};
			let reports = BoundedVec::truncate_from(vec![report]);
			(who, RuntimeCall::SmartContract(C::report_consumption { reports }))
		}
		Step::Settle { who, contract } => {
			(who, RuntimeCall::SmartContract(C::settle_contract { contract_id: contract }))
		}
		Step::Transfer { from, to, tft } => (
			from,
			RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: MultiAddress::Id(account(to)),
				value: tft as u128 * 10_000_000,
			}),
		),
		Step::SetPrice { who, price_musd } => {
			(who, RuntimeCall::TftPrice(pallet_tft_price::Call::set_price { price_musd }))
		}
		Step::Blocks(_) => return None,
	};
	Some((account(who), call))
}

/// The books: every account's balance adds up to the issuance, and the issuance is the genesis
/// issuance less what was burned.
fn check_books(genesis_issuance: u128, burned: u128) -> Result<(), TestCaseError> {
	let issuance = Balances::total_issuance();
	let held: u128 = frame_system::Account::<Runtime>::iter()
		.map(|(_, info)| info.data.free + info.data.reserved)
		.sum();
	prop_assert_eq!(held, issuance, "balances do not add up to the issuance");
	prop_assert_eq!(issuance + burned, genesis_issuance, "TFT appeared or vanished");
	Ok(())
}

fn burned_in_events() -> u128 {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::SmartContract(pallet_smart_contract::Event::TokensBurned { amount }) => {
				Some(amount)
			}
			_ => None,
		})
		.sum()
}

/// SPEC §4.5 after every step: no node's contracts declare more than its resources, and every
/// report accepted in the step is within its contract's declared capacity.
fn check_capacity(after: &Step) -> Result<(), TestCaseError> {
	for node in pallet_registry::Nodes::<Runtime>::iter_values() {
		let declared = pallet_smart_contract::NodeDeclared::<Runtime>::get(node.id).capacity;
		prop_assert!(
			node.resources.covers(&declared),
			"after {:?}: node {} declares {:?} of {:?}",
			after,
			node.id,
			declared,
			node.resources
		);
	}
	let accepted = System::events().into_iter().filter_map(|r| match r.event {
		RuntimeEvent::SmartContract(pallet_smart_contract::Event::ConsumptionReportReceived {
			contract_id,
			..
		}) => Some(contract_id),
		_ => None,
	});
	for contract_id in accepted {
		let Step::Report { cru, mru_gib, .. } = after else {
			return Err(TestCaseError::fail(format!("a report accepted by {after:?}")));
		};
		let used = Resources { cru: *cru, mru: mru_gib * GIB, sru: REPORTED_SRU, hru: 0 };
		let contract = pallet_smart_contract::Contracts::<Runtime>::get(contract_id);
		let declared = contract.as_ref().and_then(|c| c.node_contract()).map(|nc| nc.capacity);
		prop_assert!(
			declared.is_some_and(|d| d.covers(&used)),
			"after {:?}: contract {} accepted {:?} beyond its declared {:?}",
			after,
			contract_id,
			used,
			declared
		);
	}
	Ok(())
}

fn check_invariants(after: &Step) -> Result<(), TestCaseError> {
	pallet_registry::Pallet::<Runtime>::do_try_state()
		.map_err(|e| TestCaseError::fail(format!("Registry after {after:?}: {e:?}")))?;
	pallet_smart_contract::Pallet::<Runtime>::do_try_state()
		.map_err(|e| TestCaseError::fail(format!("SmartContract after {after:?}: {e:?}")))?;
	pallet_tft_price::Pallet::<Runtime>::do_try_state()
		.map_err(|e| TestCaseError::fail(format!("TftPrice after {after:?}: {e:?}")))?;
	Ok(())
}

proptest! {
	#![proptest_config(ProptestConfig {
		cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(16),
		failure_persistence: None,
		..ProptestConfig::default()
	})]

	#[test]
	fn random_call_sequences_keep_the_invariants_and_every_tft(steps in proptest::collection::vec(step(), 80)) {
		let mut ext = dev_genesis();
		ext.execute_with(|| -> Result<(), TestCaseError> {
			let genesis_issuance = Balances::total_issuance();
			let mut burned = 0u128;
			for step in prelude() {
				let (who, call) = call(&step).expect("a call");
				prop_assert!(call.dispatch(RuntimeOrigin::signed(who)).is_ok(), "prelude {:?}", step);
			}
			for step in &steps {
				match call(step) {
					Some((who, call)) => {
						System::reset_events();
						// A refused call is fine; a panic or a broken book is not.
						let outcome = call.dispatch(RuntimeOrigin::signed(who));
						if std::env::var_os("RANDOM_CALLS_TRACE").is_some() {
							eprintln!("{:?} -> {:?}", step, outcome.map(drop).map_err(|e| e.error));
						}
						burned += burned_in_events();
					}
					None => {
						let Step::Blocks(n) = step else { unreachable!() };
						for _ in 0..*n {
							pass_block();
							burned += burned_in_events();
							check_books(genesis_issuance, burned)?;
						}
					}
				}
				check_invariants(step)?;
				check_capacity(step)?;
				check_books(genesis_issuance, burned)?;
			}
			Ok(())
		})?;
	}
}
