//! The pallet's invariants (SPEC §6.4), checked by `try_state` and after every test.

use crate::*;
use alloc::{collections::btree_map::BTreeMap, vec::Vec};
use frame_support::{ensure, traits::Get};
use gridchain_primitives::{ContractId, NodeId};
use pallet_registry::GridRegistry;

impl<T: Config> Pallet<T> {
	/// - every reserved farm IP belongs to exactly one live contract, and the reverse;
	/// - no live contract points to a missing node or twin;
	/// - every live contract is in its indexes;
	/// - what each node's contracts declare is the sum of their capacity, their number at most
	///   `MaxContractsPerNode`;
	/// - a node contract's latest accepted report is within its declared capacity.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut declared: BTreeMap<NodeId, NodeDeclaredUse> = BTreeMap::new();
		// IPs the farms say are reserved, per contract.
		let mut farm_side: BTreeMap<ContractId, Vec<Vec<u8>>> = BTreeMap::new();
		for (farm_id, contract_id, ip) in T::Registry::ip_reservations() {
			let contract =
				Contracts::<T>::get(contract_id).ok_or("farm IP reserved by a dead contract")?;
			let nc = contract.node_contract().ok_or("farm IP reserved by a non-node contract")?;
			let node = T::Registry::node(nc.node_id).ok_or("contract on a missing node")?;
			ensure!(
				node.farm_id == farm_id,
				"IP reserved on another farm than the contract's node"
			);
			farm_side.entry(contract_id).or_default().push(ip);
		}

		for (contract_id, contract) in Contracts::<T>::iter() {
			ensure!(contract.contract_id == contract_id, "contract id differs from its key");
			ensure!(
				T::Registry::account_of(contract.twin_id).is_some(),
				"contract of a missing twin"
			);
			ensure!(
				T::Registry::account_of(contract.twin_id) == Some(contract.billing.owner.clone()),
				"billing owner is not the contract's twin"
			);
			ensure!(
				ContractsByTwin::<T>::contains_key(contract.twin_id, contract_id),
				"contract missing from ContractsByTwin"
			);
			ensure!(
				matches!(
					(&contract.contract_type, &contract.billing.kind),
					(ContractType::Node(_), BillingKind::Node { .. })
						| (ContractType::Name { .. }, BillingKind::Name)
						| (ContractType::Rent { .. }, BillingKind::Rent)
				),
				"billing kind differs from the contract type"
			);
			match &contract.contract_type {
				ContractType::Node(nc) => {
					ensure!(T::Registry::node(nc.node_id).is_some(), "contract on a missing node");
					declared.entry(nc.node_id).or_default().add(&nc.capacity);
					if let BillingKind::Node { used, .. } = &contract.billing.kind {
						ensure!(
							nc.capacity.covers(used),
							"a report beyond the contract's declared capacity was accepted"
						);
					}
					ensure!(
						ContractsByNode::<T>::get(nc.node_id, nc.deployment_hash)
							== Some(contract_id),
						"contract missing from ContractsByNode"
					);
					ensure!(
						nc.public_ips as usize == nc.public_ips_list.len(),
						"IP count differs from list"
					);
					let mut held: Vec<Vec<u8>> =
						nc.public_ips_list.iter().map(|ip| ip.ip.to_vec()).collect();
					let mut reserved = farm_side.remove(&contract_id).unwrap_or_default();
					held.sort();
					reserved.sort();
					ensure!(held == reserved, "contract IPs differ from the farm's reservations");
				}
				ContractType::Name { name } => {
					ensure!(
						ContractIdByName::<T>::get(name) == Some(contract_id),
						"name index wrong"
					);
				}
				ContractType::Rent { node_id } => {
					ensure!(
						T::Registry::node(*node_id).is_some(),
						"rent contract on a missing node"
					);
					ensure!(
						ActiveRentContractForNode::<T>::get(node_id) == Some(contract_id),
						"rent index wrong"
					);
				}
			}
		}
		ensure!(farm_side.is_empty(), "farm IP reserved by a contract that does not hold it");
		ensure!(
			ContractsByTwin::<T>::iter().count() == Contracts::<T>::iter().count(),
			"ContractsByTwin has stale entries"
		);
		// A live contract carries its billing record, so it is settled once per pass; no id is
		// above the counter.
		let last_id = LastContractId::<T>::get();
		ensure!(
			Contracts::<T>::iter_keys().all(|id| id <= last_id),
			"a contract id above LastContractId"
		);
		// The next pass is sized from the census: between passes it counts at least the live
		// contracts; during one, the pass counts at least those it walked past, which were live
		// when it began (and settled) or created since.
		let live = Contracts::<T>::iter().count() as u64;
		match BillingPass::<T>::get() {
			None => ensure!(
				LastPassCensus::<T>::get().live_bound(last_id) >= live,
				"LastPassCensus counts fewer contracts than live"
			),
			Some(pass) => {
				let walked = match &pass.cursor {
					Some(cursor) => Contracts::<T>::iter_keys()
						.filter(|id| Contracts::<T>::hashed_key_for(id) <= cursor.to_vec())
						.count() as u64,
					None => 0,
				};
				ensure!(
					pass.census().live_bound(last_id) >= walked,
					"the billing pass counts fewer contracts than it walked past"
				);
			}
		}
		ensure!(
			ContractsByNode::<T>::iter().count()
				== Contracts::<T>::iter_values().filter(|c| c.node_contract().is_some()).count(),
			"ContractsByNode has stale entries"
		);
		ensure!(
			NodeDeclared::<T>::iter().collect::<BTreeMap<_, _>>() == declared,
			"NodeDeclared differs from the capacity its nodes' contracts declare"
		);
		ensure!(
			declared.values().all(|d| d.contracts <= T::MaxContractsPerNode::get()),
			"a node holds more than MaxContractsPerNode contracts"
		);
		Ok(())
	}
}
