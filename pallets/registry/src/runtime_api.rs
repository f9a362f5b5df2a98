//! The runtime API for node lookup. Clients call it through `state_call` as
//! `RegistryApi_nodes_by_farm` and so on.

use alloc::vec::Vec;
use gridchain_primitives::{FarmId, NodeId, Resources};

sp_api::decl_runtime_apis! {
	/// Find nodes and farms by their properties.
	pub trait RegistryApi {
		/// The nodes of a farm.
		fn nodes_by_farm(farm_id: FarmId) -> Vec<NodeId>;
		/// The nodes in a country (ASCII case-insensitive).
		fn nodes_by_country(country: Vec<u8>) -> Vec<NodeId>;
		/// The nodes with at least these resources free.
		fn nodes_with_free_resources(min: Resources) -> Vec<NodeId>;
		/// A node's free resources, if it exists.
		fn free_resources(node_id: NodeId) -> Option<Resources>;
		/// The farms with at least this many free public IPs.
		fn farms_with_free_ips(min_free: u32) -> Vec<FarmId>;
	}
}
