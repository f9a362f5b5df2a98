//! The registry's records.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use gridchain_primitives::{
	ContractId, FarmId, NodeId, PricingPolicyId, Resources, TwinId, UnitPrices,
};
use scale_info::TypeInfo;
use sp_runtime::Percent;

/// Longest relay address of a twin, in bytes.
pub const MAX_RELAY_LEN: u32 = 256;
/// Shortest farm name.
pub const MIN_FARM_NAME_LEN: usize = 3;
/// Longest farm name.
pub const MAX_FARM_NAME_LEN: u32 = 40;
/// Most public IPs a farm can hold.
pub const MAX_FARM_IPS: u32 = 256;
/// Longest IP text: `255.255.255.255/32`.
pub const MAX_IP_LEN: u32 = 18;
/// Longest gateway text: `255.255.255.255`.
pub const MAX_GATEWAY_LEN: u32 = 15;
/// Longest location field, in bytes.
pub const MAX_LOCATION_FIELD_LEN: u32 = 64;
/// Longest pricing policy name, in bytes.
pub const MAX_POLICY_NAME_LEN: u32 = 64;

/// Minimum vCPUs of a node.
pub const MIN_NODE_CRU: u64 = 1;
/// Minimum memory of a node: 2 GiB.
pub const MIN_NODE_MRU: u64 = 2 * gridchain_primitives::GIB;
/// Minimum SSD of a node: 100 GiB.
pub const MIN_NODE_SRU: u64 = 100 * gridchain_primitives::GIB;

/// The on-grid identity of an account.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Twin<AccountId> {
	/// Twin id, from 1.
	pub id: TwinId,
	/// The account that acts as this twin.
	pub account_id: AccountId,
	/// X25519 public key for encryption.
	pub pk: Option<[u8; 32]>,
	/// Address of the twin's message relay.
	pub relay: Option<BoundedVec<u8, ConstU32<MAX_RELAY_LEN>>>,
}

/// A public IP of a farm.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct PublicIp {
	/// CIDR text, e.g. `185.206.122.33/24`.
	pub ip: BoundedVec<u8, ConstU32<MAX_IP_LEN>>,
	/// Gateway text, e.g. `185.206.122.1`.
	pub gateway: BoundedVec<u8, ConstU32<MAX_GATEWAY_LEN>>,
	/// The contract holding this IP, or 0 when it is free.
	pub contract_id: ContractId,
}

/// A farm: a set of nodes run by one twin, and the public IPs they share.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Farm {
	/// Farm id, from 1.
	pub id: FarmId,
	/// Unique name, 3..=40 of `[A-Za-z0-9_-]`.
	pub name: BoundedVec<u8, ConstU32<MAX_FARM_NAME_LEN>>,
	/// The owning twin.
	pub twin_id: TwinId,
	/// The pricing policy its contracts are billed with.
	pub pricing_policy_id: PricingPolicyId,
	/// A dedicated farm's nodes can only be used under a rent contract.
	pub dedicated: bool,
	/// The farm's public IPs.
	pub public_ips: BoundedVec<PublicIp, ConstU32<MAX_FARM_IPS>>,
}

/// Whether a node is certified hardware. Capacity on a certified node costs 25 % more.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub enum NodeCertification {
	/// Do-it-yourself hardware.
	#[default]
	Diy,
	/// Certified hardware.
	Certified,
}

/// Where a node is. All text; `Text` is `Vec<u8>` in calls and bounded in storage.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub struct Location<Text> {
	/// Country name or code.
	pub country: Text,
	/// City name.
	pub city: Text,
	/// Latitude, decimal text.
	pub latitude: Text,
	/// Longitude, decimal text.
	pub longitude: Text,
}

/// Text of a stored location field.
pub type LocationText = BoundedVec<u8, ConstU32<MAX_LOCATION_FIELD_LEN>>;
/// A location as stored.
pub type NodeLocation = Location<LocationText>;
/// A location as given to a call.
pub type LocationInput = Location<sp_runtime::Vec<u8>>;

/// A node: one machine of a farm, with its own twin.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Node {
	/// Node id, from 1.
	pub id: NodeId,
	/// The farm it belongs to.
	pub farm_id: FarmId,
	/// The node's own twin.
	pub twin_id: TwinId,
	/// Its capacity.
	pub resources: Resources,
	/// Where it is.
	pub location: NodeLocation,
	/// Diy or Certified.
	pub certification: NodeCertification,
}

/// What a pricing policy says, as it is given to create or replace one: all but its id and name.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PolicyTerms<AccountId> {
	/// Prices in uUSD.
	pub prices: UnitPrices,
	pub discount_for_dedicated_nodes: Percent,
	pub foundation_account: AccountId,
	pub sales_account: AccountId,
}

/// Prices and payees of the contracts on a farm (SPEC §5.1). Prices are in uUSD.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct PricingPolicy<AccountId> {
	/// Policy id, from 1.
	pub id: PricingPolicyId,
	/// A human-readable name.
	pub name: BoundedVec<u8, ConstU32<MAX_POLICY_NAME_LEN>>,
	/// Per SU per hour.
	pub su: u64,
	/// Per CU per hour.
	pub cu: u64,
	/// Per NU (10^9 bytes of traffic).
	pub nu: u64,
	/// Per public IP per hour.
	pub ipu: u64,
	/// Per name contract per hour.
	pub unique_name: u64,
	/// The share of a node's CU+SU price a rent contract does not pay.
	pub discount_for_dedicated_nodes: Percent,
	/// Receives 10 % of every payment.
	pub foundation_account: AccountId,
	/// Receives 50 % of every payment.
	pub sales_account: AccountId,
}

impl<AccountId> PricingPolicy<AccountId> {
	/// The prices in the form the cost formulas take.
	pub fn unit_prices(&self) -> UnitPrices {
		UnitPrices {
			cu: self.cu,
			su: self.su,
			nu: self.nu,
			ipu: self.ipu,
			unique_name: self.unique_name,
		}
	}
}

/// A pricing policy in the genesis config:
/// `(name, prices, discount_for_dedicated_nodes, foundation_account, sales_account)`.
pub type GenesisPricingPolicy<AccountId> =
	(sp_runtime::Vec<u8>, UnitPrices, Percent, AccountId, AccountId);
