//! How the registry reaches the contracts on its nodes, without knowing the contract pallet.

use frame_support::weights::Weight;
use gridchain_primitives::{NodeId, Resources};

/// Called when a node is deleted, before its record goes: ends every contract on it.
pub trait OnNodeDeleted {
	/// The most weight `on_node_deleted` takes, on the fullest node: `delete_node` is charged
	/// this, and refunded down to what it took.
	fn max_weight() -> Weight;
	/// End the contracts on `node_id` (cause `CanceledByNode`), after a final bill. Returns the
	/// weight it took, at most `max_weight`.
	fn on_node_deleted(node_id: NodeId) -> Result<Weight, sp_runtime::DispatchError>;
}

impl OnNodeDeleted for () {
	fn max_weight() -> Weight {
		Weight::zero()
	}

	fn on_node_deleted(_node_id: NodeId) -> Result<Weight, sp_runtime::DispatchError> {
		Ok(Weight::zero())
	}
}

/// What the contracts on a node reserve of it: the node lookup's free resources are the rest,
/// and a node may not shrink below it.
pub trait NodeUsage {
	/// Resources the live contracts on `node_id` declare (SPEC §4.5).
	fn used_resources(node_id: NodeId) -> Resources;
}

impl NodeUsage for () {
	fn used_resources(_node_id: NodeId) -> Resources {
		Resources::default()
	}
}

/// What the contract pallet needs to know of a node.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NodeFacts {
	/// The node's farm.
	pub farm_id: gridchain_primitives::FarmId,
	/// The node's own twin.
	pub twin_id: gridchain_primitives::TwinId,
	/// Its capacity.
	pub resources: Resources,
	/// Certified nodes cost 25 % more.
	pub certified: bool,
	/// Whether its farm is dedicated: rent only.
	pub dedicated_farm: bool,
	/// The pricing policy of its farm.
	pub pricing_policy_id: gridchain_primitives::PricingPolicyId,
}

/// A public IP handed to a contract: `(ip, gateway)` text.
pub type ReservedIp = (alloc::vec::Vec<u8>, alloc::vec::Vec<u8>);

/// Why public IPs could not be reserved.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IpReservationError {
	/// The farm does not exist.
	FarmNotExists,
	/// The farm has fewer IPs in total than asked.
	NotEnoughIps,
	/// The farm has enough IPs, but too few are free.
	NotEnoughFreeIps,
}

/// What billing needs of a pricing policy.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PolicyFacts<AccountId> {
	/// Prices in uUSD.
	pub prices: gridchain_primitives::UnitPrices,
	/// The share of a node's CU+SU price a rent contract does not pay.
	pub discount_for_dedicated_nodes: sp_runtime::Percent,
	/// Receives 10 %.
	pub foundation_account: AccountId,
	/// Receives 50 %.
	pub sales_account: AccountId,
}

/// The registry as the contract pallet sees it: who is who, and the farm IPs it reserves.
pub trait GridRegistry<AccountId> {
	/// The twin of an account.
	fn twin_of(who: &AccountId) -> Option<gridchain_primitives::TwinId>;
	/// The account of a twin.
	fn account_of(twin_id: gridchain_primitives::TwinId) -> Option<AccountId>;
	/// Facts about a node.
	fn node(node_id: NodeId) -> Option<NodeFacts>;
	/// The node a twin is, if any.
	fn node_of_twin(twin_id: gridchain_primitives::TwinId) -> Option<NodeId>;
	/// A pricing policy.
	fn pricing_policy(
		policy_id: gridchain_primitives::PricingPolicyId,
	) -> Option<PolicyFacts<AccountId>>;
	/// Reserve `count` free IPs of `farm_id` for `contract_id`, in farm order, all or none.
	fn reserve_public_ips(
		farm_id: gridchain_primitives::FarmId,
		contract_id: gridchain_primitives::ContractId,
		count: u32,
	) -> Result<alloc::vec::Vec<ReservedIp>, IpReservationError>;
	/// Free every IP of `farm_id` held by `contract_id`; returns how many were freed.
	fn free_public_ips(
		farm_id: gridchain_primitives::FarmId,
		contract_id: gridchain_primitives::ContractId,
	) -> u32;
	/// Every reserved IP as `(farm_id, contract_id, ip)`: for invariant checks, not for extrinsics.
	fn ip_reservations() -> alloc::vec::Vec<(
		gridchain_primitives::FarmId,
		gridchain_primitives::ContractId,
		alloc::vec::Vec<u8>,
	)>;
}

/// Builds a grid for other pallets' benchmarks: twins, a farm with IPs, nodes.
#[cfg(feature = "runtime-benchmarks")]
pub trait GridSetup<AccountId> {
	/// Give `who` a twin.
	fn twin(who: &AccountId) -> gridchain_primitives::TwinId;
	/// A farm owned by `owner` (who has a twin) with `ips` free public IPs.
	fn farm(owner: &AccountId, ips: u32) -> gridchain_primitives::FarmId;
	/// Register `who` (who has a twin) as a node of `farm_id` with generous resources.
	fn node(who: &AccountId, farm_id: gridchain_primitives::FarmId) -> NodeId;
}
