//! The contract record of SPEC §4.1.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use gridchain_primitives::{ContractId, NodeId, Resources, TwinId};
use pallet_registry::{MAX_FARM_IPS, MAX_GATEWAY_LEN, MAX_IP_LEN};
use scale_info::TypeInfo;

/// The most live node contracts one node holds in the runtime (`MaxContractsPerNode`): ending a
/// full node's contracts when it is deleted fits in a block with room to spare.
pub const MAX_CONTRACTS_PER_NODE: u32 = 500;
/// Most bytes of `deployment_data`: 8 KiB.
pub const MAX_DEPLOYMENT_DATA_LEN: u32 = 8 * 1024;
/// Shortest name of a name contract.
pub const MIN_NAME_LEN: usize = 3;
/// Longest name of a name contract.
pub const MAX_NAME_LEN: u32 = 64;

/// The encrypted deployment: opaque to the chain.
pub type DeploymentData = BoundedVec<u8, ConstU32<MAX_DEPLOYMENT_DATA_LEN>>;
/// The user's hash of the deployment; the node recomputes it.
pub type DeploymentHash = [u8; 32];
/// A contract name.
pub type ContractName = BoundedVec<u8, ConstU32<MAX_NAME_LEN>>;

/// A public IP held by a node contract.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ContractIp {
	/// CIDR text, e.g. `185.206.122.33/24`.
	pub ip: BoundedVec<u8, ConstU32<MAX_IP_LEN>>,
	/// Gateway text.
	pub gateway: BoundedVec<u8, ConstU32<MAX_GATEWAY_LEN>>,
}

/// A workload on a node.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct NodeContract {
	/// The node that serves it.
	pub node_id: NodeId,
	/// The user's hash of the deployment.
	pub deployment_hash: DeploymentHash,
	/// The deployment encrypted with the user's key; at most 8 KiB, never read by the chain.
	pub deployment_data: DeploymentData,
	/// How many public IPs it holds.
	pub public_ips: u32,
	/// The public IPs it holds.
	pub public_ips_list: BoundedVec<ContractIp, ConstU32<MAX_FARM_IPS>>,
	/// What the deployment reserves (SPEC §9.2), declared by the owner in clear: the node's
	/// free capacity shrinks by it, and no report may bill more (SPEC §4.5).
	pub capacity: Resources,
}

/// What a contract is for.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub enum ContractType {
	/// A workload on a node.
	Node(NodeContract),
	/// A unique name on the grid.
	Name {
		/// `[a-z0-9_-]`, 3..=64.
		name: ContractName,
	},
	/// A whole node, rented.
	Rent {
		/// The rented node.
		node_id: NodeId,
	},
}

/// Why a contract ended.
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
)]
pub enum Cause {
	/// The owner cancelled it.
	CanceledByUser,
	/// Its node cancelled it, or the node was deleted.
	CanceledByNode,
	/// The restricted origin cancelled it.
	CanceledByCollective,
	/// The owner did not pay before the grace period ran out.
	OutOfFunds,
}

/// Where a contract is in its life.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ContractState<BlockNumber> {
	/// Registered; its node has not confirmed the current deployment.
	Created,
	/// Its node confirmed the current deployment hash.
	Deployed,
	/// Its owner owes money since this block.
	GracePeriod(BlockNumber),
	/// Ended. Ended contracts are removed from storage; this state is what the record says as it
	/// is removed.
	Deleted(Cause),
}

/// A contract (SPEC §4.1), with what billing needs of it.
///
/// The billing record lives in the contract record (storage version 3): creating, settling,
/// entering or leaving grace and ending a contract each touch one record, not two.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Contract<AccountId, BlockNumber> {
	/// Bumped on every update.
	pub version: u32,
	/// One counter for all contract types, from 1.
	pub contract_id: ContractId,
	/// The owner.
	pub twin_id: TwinId,
	/// What it is for.
	pub contract_type: ContractType,
	/// Where it is in its life.
	pub state: ContractState<BlockNumber>,
	/// What settling it needs. Last, so that SPEC §4.1's fields decode as a prefix.
	pub billing: BillingInfo<AccountId, BlockNumber>,
}

impl<A, B> Contract<A, B> {
	/// The node contract data, if this is a node contract.
	pub fn node_contract(&self) -> Option<&NodeContract> {
		match &self.contract_type {
			ContractType::Node(nc) => Some(nc),
			_ => None,
		}
	}

	/// The node this contract runs on or rents, if any.
	pub fn node_id(&self) -> Option<NodeId> {
		match &self.contract_type {
			ContractType::Node(nc) => Some(nc.node_id),
			ContractType::Rent { node_id } => Some(*node_id),
			ContractType::Name { .. } => None,
		}
	}
}

/// What the live node contracts of a node declare: the node's free capacity is its resources
/// minus `capacity` (SPEC §4.5), and `contracts` is bounded by `MaxContractsPerNode`.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct NodeDeclaredUse {
	/// The sum of their declared capacity.
	pub capacity: Resources,
	/// How many there are.
	pub contracts: u32,
}

impl NodeDeclaredUse {
	/// Count one more contract, declaring `capacity`.
	pub fn add(&mut self, capacity: &Resources) {
		self.capacity = self.capacity.saturating_add(capacity);
		self.contracts = self.contracts.saturating_add(1);
	}

	/// Count one contract fewer, which declared `capacity`.
	pub fn remove(&mut self, capacity: &Resources) {
		self.capacity = self.capacity.saturating_sub(capacity);
		self.contracts = self.contracts.saturating_sub(1);
	}
}

/// Most reports in one `report_consumption` call.
pub const MAX_REPORTS: u32 = 256;
/// How far ahead of chain time a report's timestamp may be, in seconds.
pub const MAX_REPORT_AHEAD_SECS: u64 = 60;
/// The longest window one report is believed for, in seconds.
pub const MAX_REPORT_WINDOW_SECS: u64 = 3600;

/// A node's report of what a contract uses (the seed's format). `nru` is traffic in bytes since
/// the node's previous report for that contract; the rest is what the contract uses now.
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
pub struct Consumption {
	/// The node contract reported on.
	pub contract_id: ContractId,
	/// When the usage was measured, unix seconds.
	pub timestamp: u64,
	/// vCPUs in use.
	pub cru: u64,
	/// SSD bytes in use.
	pub sru: u64,
	/// HDD bytes in use.
	pub hru: u64,
	/// Memory bytes in use.
	pub mru: u64,
	/// Traffic bytes since the previous report.
	pub nru: u64,
}

impl Consumption {
	/// The resources in use.
	pub fn resources(&self) -> gridchain_primitives::Resources {
		gridchain_primitives::Resources {
			cru: self.cru,
			sru: self.sru,
			hru: self.hru,
			mru: self.mru,
		}
	}
}

/// Why a report was skipped.
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
)]
pub enum ReportRejection {
	/// The contract is not a live node contract on the reporting node.
	NotANodeContractOfThisNode,
	/// The timestamp is not after the contract's previous report.
	TimestampNotAfterPrevious,
	/// The timestamp is more than 60 s ahead of chain time.
	TimestampInFuture,
	/// cru, sru, hru or mru exceeds the contract's declared capacity.
	ExceedsContractCapacity,
	/// The node never confirmed the contract's deployment.
	NeverDeployed,
}

/// What billing needs to know of a contract beyond its record: its node, IPs and rented node
/// are the record's own (`contract_type`).
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum BillingKind {
	/// A node contract: charged for reported usage, and for its IPs by time.
	Node {
		/// What the latest report said it uses.
		used: gridchain_primitives::Resources,
		/// The hourly cost of `used` (CU and SU, with the node's surcharge or rent), uUSD × 10^9:
		/// the capacity part of the projected monthly cost that sets the discount.
		hourly_capacity_cost: gridchain_primitives::ScaledCost,
		/// The latest report's timestamp, or the creation time.
		last_report_secs: u64,
		/// Whether its node ever confirmed a deployment of it: until then no report counts.
		ever_deployed: bool,
	},
	/// A name contract: `unique_name` per hour.
	Name,
	/// A rent contract: the node's capacity at the dedicated discount, per hour.
	Rent,
}

/// The billing record of a live contract.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct BillingInfo<AccountId, BlockNumber> {
	/// Who pays: the owner twin's account.
	pub owner: AccountId,
	/// The pricing policy billed with.
	pub pricing_policy_id: gridchain_primitives::PricingPolicyId,
	/// What kind of charges apply.
	pub kind: BillingKind,
	/// Usage cost accrued from reports since the last settlement, uUSD × 10^9.
	pub accrued: gridchain_primitives::ScaledCost,
	/// TFT owed from earlier settlements.
	pub debt: gridchain_primitives::Balance,
	/// Chain time of the last settlement (or creation), unix seconds.
	pub last_settled_secs: u64,
	/// Since when the contract is in its grace period, and whether it was deployed before.
	pub grace: Option<(BlockNumber, bool)>,
	/// The deposit held for it.
	pub deposit: gridchain_primitives::Balance,
}

/// A billing pass under way: it started at a multiple of `BillingFrequency` and walks `Contracts`
/// in key order, `per_block` contracts a block, until every contract is settled once.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug, Default)]
pub struct BillingPassState {
	/// The raw key of the last contract settled in this pass; `None` before the first.
	pub cursor: Option<BoundedVec<u8, ConstU32<128>>>,
	/// Contracts to settle per block: the live contracts spread over the frequency.
	pub per_block: u32,
	/// Contracts settled so far in this pass.
	pub settled: u64,
	/// The last contract id when the pass started.
	pub last_id_at_start: ContractId,
}

/// What the last finished billing pass counted: the pallet learns how many contracts live from
/// its own walk, so creating and ending a contract keep no live count.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct BillingCensus {
	/// Contracts the pass settled: every contract live throughout it, and some created during it.
	pub settled: u64,
	/// The last contract id when that pass started.
	pub last_id_at_start: ContractId,
}

impl BillingCensus {
	/// At most how many contracts live now, `last_id` being the last contract id: every one
	/// the last pass settled, plus every one created since it started. Contracts ended since,
	/// or created during the pass and settled by it, are counted anyway: the next pass is sized
	/// for at least the contracts live when it starts, so it ends within its frequency unless
	/// contracts created during it, or work carried over for lack of weight, lengthen it.
	pub fn live_bound(&self, last_id: ContractId) -> u64 {
		self.settled.saturating_add(last_id.saturating_sub(self.last_id_at_start))
	}
}

impl BillingPassState {
	/// A pass about to start when the last contract id is `last_id`: nothing settled yet,
	/// `live` contracts spread over `frequency` blocks, at least one a block.
	pub fn starting(live: u64, frequency: u64, last_id: ContractId) -> Self {
		let per_block = live.div_ceil(frequency.max(1)).max(1);
		Self {
			cursor: None,
			per_block: u32::try_from(per_block).unwrap_or(u32::MAX),
			settled: 0,
			last_id_at_start: last_id,
		}
	}

	/// What this pass counted, once it walked every contract.
	pub fn census(&self) -> BillingCensus {
		BillingCensus { settled: self.settled, last_id_at_start: self.last_id_at_start }
	}
}
