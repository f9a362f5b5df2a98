//! How the registry reaches the contracts on its nodes, without knowing the contract pallet.

use gridchain_primitives::{NodeId, Resources};

/// Called when a node is deleted, before its record goes: ends every contract on it.
pub trait OnNodeDeleted {
	/// End the contracts on `node_id` (cause `CanceledByNode`), after a final bill.
	fn on_node_deleted(node_id: NodeId) -> sp_runtime::DispatchResult;
}

impl OnNodeDeleted for () {
	fn on_node_deleted(_node_id: NodeId) -> sp_runtime::DispatchResult {
		Ok(())
	}
}

/// What the contracts on a node use of it, for the node lookup's free resources.
pub trait NodeUsage {
	/// Resources used on `node_id` by its live contracts.
	fn used_resources(node_id: NodeId) -> Resources;
}

impl NodeUsage for () {
	fn used_resources(_node_id: NodeId) -> Resources {
		Resources::default()
	}
}
