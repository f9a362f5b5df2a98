#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod dispatchable_impls;
mod grid_access;
pub mod lookup;
pub mod runtime_api;
pub mod traits;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

#[cfg(feature = "runtime-benchmarks")]
pub use traits::GridSetup;
pub use traits::{
	GridRegistry, IpReservationError, NodeFacts, NodeUsage, OnNodeDeleted, PolicyFacts, ReservedIp,
};
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
// The pricing policy calls take the flat parameter list of SPEC §3.
#[allow(clippy::too_many_arguments)]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use gridchain_primitives::{FarmId, NodeId, PricingPolicyId, Resources, TwinId, UnitPrices};
	use sp_runtime::Percent;

	/// The layout of this pallet's storage. A change of layout bumps it and ships with a
	/// migration; the runtime's `try-runtime` test fails when the two disagree.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
		/// Root or 3 of 5 of the Council: certifies nodes, dedicates farms, sets pricing policies.
		type RestrictedOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Ends the contracts of a node that is deleted.
		type OnNodeDeleted: OnNodeDeleted;
		/// What the contracts on a node use of it, for the node lookup.
		type NodeUsage: NodeUsage;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Twins by id.
	#[pallet::storage]
	pub type Twins<T: Config> = StorageMap<_, Blake2_128Concat, TwinId, Twin<T::AccountId>>;

	/// The twin of each account.
	#[pallet::storage]
	pub type TwinIdByAccount<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, TwinId>;

	/// The number of twins ever created; the last twin id.
	#[pallet::storage]
	pub type TwinCount<T> = StorageValue<_, TwinId, ValueQuery>;

	/// Farms by id.
	#[pallet::storage]
	pub type Farms<T> = StorageMap<_, Blake2_128Concat, FarmId, Farm>;

	/// Farm ids by name, to keep names unique.
	#[pallet::storage]
	pub type FarmIdByName<T> =
		StorageMap<_, Blake2_128Concat, BoundedVec<u8, ConstU32<MAX_FARM_NAME_LEN>>, FarmId>;

	/// The number of farms ever created; the last farm id.
	#[pallet::storage]
	pub type FarmCount<T> = StorageValue<_, FarmId, ValueQuery>;

	/// Nodes by id.
	#[pallet::storage]
	pub type Nodes<T> = StorageMap<_, Blake2_128Concat, NodeId, Node>;

	/// The node of each twin: a twin is at most one node.
	#[pallet::storage]
	pub type NodeIdByTwin<T> = StorageMap<_, Blake2_128Concat, TwinId, NodeId>;

	/// The nodes of each farm.
	#[pallet::storage]
	pub type NodesByFarm<T> =
		StorageDoubleMap<_, Blake2_128Concat, FarmId, Blake2_128Concat, NodeId, (), OptionQuery>;

	/// The number of nodes ever created; the last node id.
	#[pallet::storage]
	pub type NodeCount<T> = StorageValue<_, NodeId, ValueQuery>;

	/// Pricing policies by id.
	#[pallet::storage]
	pub type PricingPolicies<T: Config> =
		StorageMap<_, Blake2_128Concat, PricingPolicyId, PricingPolicy<T::AccountId>>;

	/// The number of pricing policies ever created; the last policy id.
	#[pallet::storage]
	pub type PricingPolicyCount<T> = StorageValue<_, PricingPolicyId, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A twin was created.
		TwinCreated { twin_id: TwinId, account_id: T::AccountId },
		/// A twin's key or relay changed.
		TwinUpdated { twin_id: TwinId },
		/// A farm was created.
		FarmCreated { farm_id: FarmId, twin_id: TwinId, name: Vec<u8> },
		/// A public IP was added to a farm.
		FarmIpAdded { farm_id: FarmId, ip: Vec<u8>, gateway: Vec<u8> },
		/// A public IP was removed from a farm.
		FarmIpRemoved { farm_id: FarmId, ip: Vec<u8> },
		/// A farm became dedicated, or stopped being so.
		FarmDedicatedSet { farm_id: FarmId, dedicated: bool },
		/// A node was registered.
		NodeCreated { node_id: NodeId, farm_id: FarmId, twin_id: TwinId, resources: Resources },
		/// A node's resources or location changed.
		NodeUpdated { node_id: NodeId, resources: Resources },
		/// A node was deleted; its contracts were ended first.
		NodeDeleted { node_id: NodeId },
		/// A node's certification changed.
		NodeCertificationSet { node_id: NodeId, certification: NodeCertification },
		/// A pricing policy was created.
		PricingPolicyCreated { policy_id: PricingPolicyId },
		/// A pricing policy was changed.
		PricingPolicyUpdated { policy_id: PricingPolicyId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account already has a twin.
		TwinExists,
		/// The account has no twin; create one first.
		TwinNotExists,
		/// The relay address is longer than 256 bytes.
		RelayTooLong,
		/// No more ids of this kind can be issued.
		IdsExhausted,
		/// A farm name has at least 3 characters.
		FarmNameTooShort,
		/// A farm name has at most 40 characters.
		FarmNameTooLong,
		/// A farm name holds only `A-Z a-z 0-9 _ -`.
		FarmNameInvalidCharacters,
		/// Another farm has this name.
		FarmNameTaken,
		/// There is no farm with this id.
		FarmNotExists,
		/// Only the farm's owner may do this.
		NotFarmOwner,
		/// The farm holds 256 IPs already.
		FarmIpLimitReached,
		/// The farm has this IP already.
		IpAlreadyExists,
		/// The farm has no such IP.
		IpNotExists,
		/// The IP is reserved by a contract; it can be removed once freed.
		IpInUse,
		/// The IP is not IPv4 CIDR text such as `185.206.122.33/24`.
		InvalidPublicIp,
		/// The prefix is outside /8../30, which leaves no room for the IP and a gateway.
		InvalidIpPrefix,
		/// The gateway is not plain IPv4 text such as `185.206.122.1`.
		InvalidGateway,
		/// The IP or gateway is private, loopback, multicast or reserved.
		IpNotPublicUnicast,
		/// The IP is its subnet's network or broadcast address.
		IpIsNetworkOrBroadcast,
		/// The gateway is outside the IP's subnet.
		GatewayNotInSubnet,
		/// The gateway is the subnet's network or broadcast address, or the IP itself.
		InvalidGatewayAddress,
		/// The twin is a node already: one node per twin.
		TwinAlreadyHasNode,
		/// There is no node with this id.
		NodeNotExists,
		/// Only the node itself may do this.
		NotNodeOwner,
		/// Only the node or its farm's owner may do this.
		NotNodeOrFarmOwner,
		/// A node has at least 1 vCPU.
		CruBelowMinimum,
		/// A node has at least 2 GiB of memory.
		MruBelowMinimum,
		/// A node has at least 100 GiB of SSD.
		SruBelowMinimum,
		/// The node's contracts declare more than these resources: a node cannot shrink below
		/// what it has promised.
		ResourcesBelowDeclared,
		/// A location field is longer than 64 bytes.
		LocationFieldTooLong,
		/// There is no pricing policy with this id.
		PricingPolicyNotExists,
		/// A pricing policy name is 1..=64 bytes.
		InvalidPricingPolicyName,
	}

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Pricing policies, numbered from 1 in this order:
		/// `(name, prices, discount_for_dedicated_nodes, foundation_account, sales_account)`.
		pub pricing_policies: Vec<GenesisPricingPolicy<T::AccountId>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (name, prices, discount, foundation, sales) in &self.pricing_policies {
				let terms = PolicyTerms {
					prices: *prices,
					discount_for_dedicated_nodes: *discount,
					foundation_account: foundation.clone(),
					sales_account: sales.clone(),
				};
				let result = Pallet::<T>::do_create_pricing_policy(name.clone(), terms);
				assert!(result.is_ok(), "invalid genesis pricing policy");
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Create the caller's twin. Any account without a twin may call it.
		///
		/// `pk` is the twin's X25519 public key, `relay` its relay address (at most 256 bytes).
		/// Emits `TwinCreated`. Errors: `TwinExists`, `RelayTooLong`.
		#[pallet::call_index(0)]
		pub fn create_twin(
			origin: OriginFor<T>,
			pk: Option<[u8; 32]>,
			relay: Option<Vec<u8>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_create_twin(who, pk, relay)
		}

		/// Replace the key and relay of the caller's twin. Emits `TwinUpdated`.
		/// Errors: `TwinNotExists`, `RelayTooLong`.
		#[pallet::call_index(1)]
		pub fn update_twin(
			origin: OriginFor<T>,
			pk: Option<[u8; 32]>,
			relay: Option<Vec<u8>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_twin(who, pk, relay)
		}

		/// Create a farm owned by the caller's twin, under pricing policy 1.
		///
		/// The name is 3..=40 of `[A-Za-z0-9_-]` and unique. Emits `FarmCreated`.
		#[pallet::call_index(2)]
		pub fn create_farm(origin: OriginFor<T>, name: Vec<u8>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_create_farm(who, name)
		}

		/// Add a public IP to a farm. Only the farm owner.
		///
		/// `ip` is IPv4 CIDR text, `gateway` a plain IPv4 inside that subnet and neither its network
		/// nor broadcast address. Both public unicast, the IP unique on the farm, at most 256 IPs.
		/// Emits `FarmIpAdded`.
		#[pallet::call_index(3)]
		pub fn add_farm_ip(
			origin: OriginFor<T>,
			farm_id: FarmId,
			ip: Vec<u8>,
			gateway: Vec<u8>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_add_farm_ip(who, farm_id, ip, gateway)
		}

		/// Remove a free public IP from a farm. Only the farm owner. Emits `FarmIpRemoved`.
		/// Errors: `IpNotExists`, `IpInUse`.
		#[pallet::call_index(4)]
		pub fn remove_farm_ip(
			origin: OriginFor<T>,
			farm_id: FarmId,
			ip: Vec<u8>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove_farm_ip(who, farm_id, ip)
		}

		/// Register the caller's twin as a node of `farm_id`.
		///
		/// One node per twin. Minimums: 1 vCPU, 2 GiB memory, 100 GiB SSD. Location fields are at
		/// most 64 bytes. Emits `NodeCreated`.
		#[pallet::call_index(5)]
		pub fn create_node(
			origin: OriginFor<T>,
			farm_id: FarmId,
			resources: Resources,
			location: LocationInput,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_create_node(who, farm_id, resources, location)
		}

		/// Replace a node's resources and location. Only the node itself, with the minimums of
		/// `create_node`, and never below what its contracts declare (`ResourcesBelowDeclared`).
		/// Emits `NodeUpdated`.
		#[pallet::call_index(6)]
		pub fn update_node(
			origin: OriginFor<T>,
			node_id: NodeId,
			resources: Resources,
			location: LocationInput,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_node(who, node_id, resources, location)
		}

		/// Delete a node. The node itself or its farm's owner.
		///
		/// Every contract on the node is billed a last time and cancelled first, with cause
		/// `CanceledByNode`. Emits `NodeDeleted`.
		///
		/// Charged for ending the contracts of the fullest node the contract pallet allows, and
		/// refunded down to what it ended.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::delete_node().saturating_add(T::OnNodeDeleted::max_weight()))]
		pub fn delete_node(origin: OriginFor<T>, node_id: NodeId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let ended = Self::do_delete_node(who, node_id)?;
			Ok(Some(T::WeightInfo::delete_node().saturating_add(ended)).into())
		}

		/// Set a node's certification. Restricted origin. Emits `NodeCertificationSet`.
		#[pallet::call_index(8)]
		pub fn set_node_certification(
			origin: OriginFor<T>,
			node_id: NodeId,
			certification: NodeCertification,
		) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			Self::do_set_node_certification(node_id, certification)
		}

		/// Make a farm dedicated (its nodes are only rented whole) or not. Restricted origin.
		/// Emits `FarmDedicatedSet`.
		#[pallet::call_index(9)]
		pub fn set_farm_dedicated(
			origin: OriginFor<T>,
			farm_id: FarmId,
			dedicated: bool,
		) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			Self::do_set_farm_dedicated(farm_id, dedicated)
		}

		/// Create a pricing policy (SPEC §5.1); prices in uUSD. Restricted origin.
		/// Emits `PricingPolicyCreated`.
		#[pallet::call_index(10)]
		pub fn create_pricing_policy(
			origin: OriginFor<T>,
			name: Vec<u8>,
			su: u64,
			cu: u64,
			nu: u64,
			ipu: u64,
			unique_name: u64,
			discount_for_dedicated_nodes: Percent,
			foundation_account: T::AccountId,
			sales_account: T::AccountId,
		) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			let prices = UnitPrices { su, cu, nu, ipu, unique_name };
			let terms = PolicyTerms {
				prices,
				discount_for_dedicated_nodes,
				foundation_account,
				sales_account,
			};
			Self::do_create_pricing_policy(name, terms).map(|_| ())
		}

		/// Replace every field of a pricing policy. Restricted origin.
		/// Emits `PricingPolicyUpdated`.
		#[pallet::call_index(11)]
		pub fn update_pricing_policy(
			origin: OriginFor<T>,
			policy_id: PricingPolicyId,
			name: Vec<u8>,
			su: u64,
			cu: u64,
			nu: u64,
			ipu: u64,
			unique_name: u64,
			discount_for_dedicated_nodes: Percent,
			foundation_account: T::AccountId,
			sales_account: T::AccountId,
		) -> DispatchResult {
			T::RestrictedOrigin::ensure_origin(origin)?;
			let prices = UnitPrices { su, cu, nu, ipu, unique_name };
			let terms = PolicyTerms {
				prices,
				discount_for_dedicated_nodes,
				foundation_account,
				sales_account,
			};
			Self::do_update_pricing_policy(policy_id, name, terms)
		}
	}
}
