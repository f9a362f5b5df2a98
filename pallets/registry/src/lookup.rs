//! Node lookup (SPEC §3): how a user finds a node's id by its properties.
//!
//! These read storage and are served by the `RegistryApi` runtime API; they are not for use
//! inside extrinsics.

use crate::*;
use alloc::vec::Vec;
use gridchain_primitives::{FarmId, NodeId, Resources};

impl<T: Config> Pallet<T> {
	/// The nodes of `farm_id`, in id order.
	pub fn nodes_by_farm(farm_id: FarmId) -> Vec<NodeId> {
		let mut ids: Vec<NodeId> = NodesByFarm::<T>::iter_key_prefix(farm_id).collect();
		ids.sort_unstable();
		ids
	}

	/// The nodes whose location's country is `country` (exact, ASCII case-insensitive).
	pub fn nodes_by_country(country: Vec<u8>) -> Vec<NodeId> {
		Self::nodes_where(|node| node.location.country.eq_ignore_ascii_case(&country))
	}

	/// The nodes with at least `min` free: capacity minus what live contracts use.
	pub fn nodes_with_free_resources(min: Resources) -> Vec<NodeId> {
		Self::nodes_where(|node| {
			node.resources.saturating_sub(&T::NodeUsage::used_resources(node.id)).covers(&min)
		})
	}

	/// Resources of `node_id` not used by its contracts.
	pub fn free_resources(node_id: NodeId) -> Option<Resources> {
		Nodes::<T>::get(node_id)
			.map(|node| node.resources.saturating_sub(&T::NodeUsage::used_resources(node_id)))
	}

	/// The farms with at least `min_free` public IPs not held by a contract.
	pub fn farms_with_free_ips(min_free: u32) -> Vec<FarmId> {
		let mut ids: Vec<FarmId> = Farms::<T>::iter()
			.filter(|(_, farm)| {
				farm.public_ips.iter().filter(|ip| ip.contract_id == 0).count() >= min_free as usize
			})
			.map(|(id, _)| id)
			.collect();
		ids.sort_unstable();
		ids
	}

	fn nodes_where(keep: impl Fn(&Node) -> bool) -> Vec<NodeId> {
		let mut ids: Vec<NodeId> =
			Nodes::<T>::iter_values().filter(|node| keep(node)).map(|node| node.id).collect();
		ids.sort_unstable();
		ids
	}
}
