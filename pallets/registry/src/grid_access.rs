//! The registry seen from the contract pallet ([`GridRegistry`]).

use crate::*;
use alloc::vec::Vec;
use gridchain_primitives::{ContractId, FarmId, NodeId, PricingPolicyId, TwinId};
use traits::{GridRegistry, IpReservationError, NodeFacts, PolicyFacts, ReservedIp};

impl<T: Config> GridRegistry<T::AccountId> for Pallet<T> {
	fn twin_of(who: &T::AccountId) -> Option<TwinId> {
		TwinIdByAccount::<T>::get(who)
	}

	fn account_of(twin_id: TwinId) -> Option<T::AccountId> {
		Twins::<T>::get(twin_id).map(|twin| twin.account_id)
	}

	fn node(node_id: NodeId) -> Option<NodeFacts> {
		let node = Nodes::<T>::get(node_id)?;
		let farm = Farms::<T>::get(node.farm_id)?;
		Some(NodeFacts {
			farm_id: node.farm_id,
			twin_id: node.twin_id,
			resources: node.resources,
			certified: node.certification == NodeCertification::Certified,
			dedicated_farm: farm.dedicated,
			pricing_policy_id: farm.pricing_policy_id,
		})
	}

	fn node_of_twin(twin_id: TwinId) -> Option<NodeId> {
		NodeIdByTwin::<T>::get(twin_id)
	}

	fn pricing_policy(policy_id: PricingPolicyId) -> Option<PolicyFacts<T::AccountId>> {
		PricingPolicies::<T>::get(policy_id).map(|p| PolicyFacts {
			prices: p.unit_prices(),
			discount_for_dedicated_nodes: p.discount_for_dedicated_nodes,
			foundation_account: p.foundation_account,
			sales_account: p.sales_account,
		})
	}

	fn reserve_public_ips(
		farm_id: FarmId,
		contract_id: ContractId,
		count: u32,
	) -> Result<Vec<ReservedIp>, IpReservationError> {
		if count == 0 {
			return Ok(Vec::new());
		}
		let mut farm = Farms::<T>::get(farm_id).ok_or(IpReservationError::FarmNotExists)?;
		if (farm.public_ips.len() as u32) < count {
			return Err(IpReservationError::NotEnoughIps);
		}
		let free = farm.public_ips.iter().filter(|ip| ip.contract_id == 0).count() as u32;
		if free < count {
			return Err(IpReservationError::NotEnoughFreeIps);
		}
		let mut reserved = Vec::with_capacity(count as usize);
		for ip in farm.public_ips.iter_mut().filter(|ip| ip.contract_id == 0).take(count as usize) {
			ip.contract_id = contract_id;
			reserved.push((ip.ip.to_vec(), ip.gateway.to_vec()));
		}
		Farms::<T>::insert(farm_id, farm);
		Ok(reserved)
	}

	fn free_public_ips(farm_id: FarmId, contract_id: ContractId) -> u32 {
		let mut freed = 0;
		Farms::<T>::mutate(farm_id, |farm| {
			if let Some(farm) = farm {
				for ip in farm.public_ips.iter_mut().filter(|ip| ip.contract_id == contract_id) {
					ip.contract_id = 0;
					freed += 1;
				}
			}
		});
		freed
	}

	fn ip_reservations() -> Vec<(FarmId, ContractId, Vec<u8>)> {
		Farms::<T>::iter()
			.flat_map(|(farm_id, farm)| {
				farm.public_ips
					.into_iter()
					.filter(|ip| ip.contract_id != 0)
					.map(move |ip| (farm_id, ip.contract_id, ip.ip.into_inner()))
			})
			.collect()
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl<T: Config> traits::GridSetup<T::AccountId> for Pallet<T> {
	fn twin(who: &T::AccountId) -> TwinId {
		let _ = Self::do_create_twin(who.clone(), None, None);
		TwinIdByAccount::<T>::get(who).unwrap_or_default()
	}

	fn farm(owner: &T::AccountId, ips: u32) -> FarmId {
		let name = alloc::format!("bench-farm-{}", FarmCount::<T>::get() + 1).into_bytes();
		let _ = Self::do_create_farm(owner.clone(), name);
		let farm_id = FarmCount::<T>::get();
		for i in 0..ips {
			let (b, c) = (100 + i / 250, i % 250);
			let ip = alloc::format!("185.{b}.{c}.10/24").into_bytes();
			let gw = alloc::format!("185.{b}.{c}.1").into_bytes();
			let _ = Self::do_add_farm_ip(owner.clone(), farm_id, ip, gw);
		}
		farm_id
	}

	fn node(who: &T::AccountId, farm_id: FarmId) -> NodeId {
		// Large enough that no benchmark's contracts are refused for capacity.
		let resources = gridchain_primitives::Resources {
			cru: 1 << 20,
			mru: 1 << 50,
			sru: 1 << 55,
			hru: 1 << 55,
		};
		let location = Location {
			country: b"BE".to_vec(),
			city: b"Ghent".to_vec(),
			latitude: b"51.05".to_vec(),
			longitude: b"3.72".to_vec(),
		};
		let _ = Self::do_create_node(who.clone(), farm_id, resources, location);
		NodeCount::<T>::get()
	}
}
