//! What the registry's calls do. Every function checks all of its rules before it writes.

use crate::*;
use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::*, BoundedVec};
use gridchain_primitives::{
	ip::{self, IpError},
	FarmId, NodeId, PricingPolicyId, Resources, TwinId,
};

/// The pricing policy new farms are billed with.
pub const DEFAULT_PRICING_POLICY_ID: PricingPolicyId = 1;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_twin(
		who: T::AccountId,
		pk: Option<[u8; 32]>,
		relay: Option<Vec<u8>>,
	) -> DispatchResult {
		ensure!(!TwinIdByAccount::<T>::contains_key(&who), Error::<T>::TwinExists);
		let relay = Self::bounded_relay(relay)?;
		let twin_id = TwinCount::<T>::get().checked_add(1).ok_or(Error::<T>::IdsExhausted)?;

		TwinCount::<T>::put(twin_id);
		Twins::<T>::insert(twin_id, Twin { id: twin_id, account_id: who.clone(), pk, relay });
		TwinIdByAccount::<T>::insert(&who, twin_id);
		Self::deposit_event(Event::TwinCreated { twin_id, account_id: who });
		Ok(())
	}

	pub(crate) fn do_update_twin(
		who: T::AccountId,
		pk: Option<[u8; 32]>,
		relay: Option<Vec<u8>>,
	) -> DispatchResult {
		let twin_id = Self::twin_of(&who)?;
		let relay = Self::bounded_relay(relay)?;
		Twins::<T>::try_mutate(twin_id, |twin| -> DispatchResult {
			let twin = twin.as_mut().ok_or(Error::<T>::TwinNotExists)?;
			twin.pk = pk;
			twin.relay = relay;
			Ok(())
		})?;
		Self::deposit_event(Event::TwinUpdated { twin_id });
		Ok(())
	}

	pub(crate) fn do_create_farm(who: T::AccountId, name: Vec<u8>) -> DispatchResult {
		let twin_id = Self::twin_of(&who)?;
		let name = Self::valid_farm_name(name)?;
		ensure!(!FarmIdByName::<T>::contains_key(&name), Error::<T>::FarmNameTaken);
		let farm_id = FarmCount::<T>::get().checked_add(1).ok_or(Error::<T>::IdsExhausted)?;

		FarmCount::<T>::put(farm_id);
		FarmIdByName::<T>::insert(&name, farm_id);
		Farms::<T>::insert(
			farm_id,
			Farm {
				id: farm_id,
				name: name.clone(),
				twin_id,
				pricing_policy_id: DEFAULT_PRICING_POLICY_ID,
				dedicated: false,
				public_ips: BoundedVec::new(),
			},
		);
		Self::deposit_event(Event::FarmCreated { farm_id, twin_id, name: name.into_inner() });
		Ok(())
	}

	pub(crate) fn do_add_farm_ip(
		who: T::AccountId,
		farm_id: FarmId,
		ip: Vec<u8>,
		gateway: Vec<u8>,
	) -> DispatchResult {
		let mut farm = Self::owned_farm(&who, farm_id)?;
		let parsed = ip::validate_ip_and_gateway(&ip, &gateway).map_err(Self::ip_error)?;
		ensure!(
			!farm.public_ips.iter().any(|known| Self::same_address(&known.ip, parsed.addr)),
			Error::<T>::IpAlreadyExists
		);
		let record = PublicIp {
			ip: ip.clone().try_into().map_err(|_| Error::<T>::InvalidPublicIp)?,
			gateway: gateway.clone().try_into().map_err(|_| Error::<T>::InvalidGateway)?,
			contract_id: 0,
		};
		farm.public_ips.try_push(record).map_err(|_| Error::<T>::FarmIpLimitReached)?;

		Farms::<T>::insert(farm_id, farm);
		Self::deposit_event(Event::FarmIpAdded { farm_id, ip, gateway });
		Ok(())
	}

	pub(crate) fn do_remove_farm_ip(
		who: T::AccountId,
		farm_id: FarmId,
		ip: Vec<u8>,
	) -> DispatchResult {
		let mut farm = Self::owned_farm(&who, farm_id)?;
		let addr = ip::parse_public_cidr(&ip).map_err(Self::ip_error)?.addr;
		let index = farm
			.public_ips
			.iter()
			.position(|known| Self::same_address(&known.ip, addr))
			.ok_or(Error::<T>::IpNotExists)?;
		let removed = farm.public_ips.remove(index);
		ensure!(removed.contract_id == 0, Error::<T>::IpInUse);

		Farms::<T>::insert(farm_id, farm);
		Self::deposit_event(Event::FarmIpRemoved { farm_id, ip: removed.ip.into_inner() });
		Ok(())
	}

	pub(crate) fn do_create_node(
		who: T::AccountId,
		farm_id: FarmId,
		resources: Resources,
		location: LocationInput,
	) -> DispatchResult {
		let twin_id = Self::twin_of(&who)?;
		ensure!(Farms::<T>::contains_key(farm_id), Error::<T>::FarmNotExists);
		ensure!(!NodeIdByTwin::<T>::contains_key(twin_id), Error::<T>::TwinAlreadyHasNode);
		Self::ensure_minimum_resources(&resources)?;
		let location = Self::bounded_location(location)?;
		let node_id = NodeCount::<T>::get().checked_add(1).ok_or(Error::<T>::IdsExhausted)?;

		NodeCount::<T>::put(node_id);
		Nodes::<T>::insert(
			node_id,
			Node {
				id: node_id,
				farm_id,
				twin_id,
				resources,
				location,
				certification: NodeCertification::Diy,
			},
		);
		NodeIdByTwin::<T>::insert(twin_id, node_id);
		NodesByFarm::<T>::insert(farm_id, node_id, ());
		Self::deposit_event(Event::NodeCreated { node_id, farm_id, twin_id, resources });
		Ok(())
	}

	pub(crate) fn do_update_node(
		who: T::AccountId,
		node_id: NodeId,
		resources: Resources,
		location: LocationInput,
	) -> DispatchResult {
		let twin_id = Self::twin_of(&who)?;
		let mut node = Nodes::<T>::get(node_id).ok_or(Error::<T>::NodeNotExists)?;
		ensure!(node.twin_id == twin_id, Error::<T>::NotNodeOwner);
		Self::ensure_minimum_resources(&resources)?;
		ensure!(
			resources.covers(&T::NodeUsage::used_resources(node_id)),
			Error::<T>::ResourcesBelowDeclared
		);
		node.location = Self::bounded_location(location)?;
		node.resources = resources;

		Nodes::<T>::insert(node_id, node);
		Self::deposit_event(Event::NodeUpdated { node_id, resources });
		Ok(())
	}

	/// Returns the weight of ending the node's contracts.
	pub(crate) fn do_delete_node(
		who: T::AccountId,
		node_id: NodeId,
	) -> Result<frame_support::weights::Weight, DispatchError> {
		let twin_id = Self::twin_of(&who)?;
		let node = Nodes::<T>::get(node_id).ok_or(Error::<T>::NodeNotExists)?;
		let farm_owner = Farms::<T>::get(node.farm_id).map(|farm| farm.twin_id);
		ensure!(
			node.twin_id == twin_id || farm_owner == Some(twin_id),
			Error::<T>::NotNodeOrFarmOwner
		);

		let ended = T::OnNodeDeleted::on_node_deleted(node_id)?;
		Nodes::<T>::remove(node_id);
		NodeIdByTwin::<T>::remove(node.twin_id);
		NodesByFarm::<T>::remove(node.farm_id, node_id);
		Self::deposit_event(Event::NodeDeleted { node_id });
		Ok(ended)
	}

	pub(crate) fn do_set_node_certification(
		node_id: NodeId,
		certification: NodeCertification,
	) -> DispatchResult {
		Nodes::<T>::try_mutate(node_id, |node| -> DispatchResult {
			node.as_mut().ok_or(Error::<T>::NodeNotExists)?.certification = certification;
			Ok(())
		})?;
		Self::deposit_event(Event::NodeCertificationSet { node_id, certification });
		Ok(())
	}

	pub(crate) fn do_set_farm_dedicated(farm_id: FarmId, dedicated: bool) -> DispatchResult {
		Farms::<T>::try_mutate(farm_id, |farm| -> DispatchResult {
			farm.as_mut().ok_or(Error::<T>::FarmNotExists)?.dedicated = dedicated;
			Ok(())
		})?;
		Self::deposit_event(Event::FarmDedicatedSet { farm_id, dedicated });
		Ok(())
	}

	pub(crate) fn do_create_pricing_policy(
		name: Vec<u8>,
		terms: PolicyTerms<T::AccountId>,
	) -> Result<PricingPolicyId, DispatchError> {
		let name = Self::valid_policy_name(name)?;
		let policy_id =
			PricingPolicyCount::<T>::get().checked_add(1).ok_or(Error::<T>::IdsExhausted)?;
		PricingPolicyCount::<T>::put(policy_id);
		PricingPolicies::<T>::insert(policy_id, Self::policy(policy_id, name, terms));
		Self::deposit_event(Event::PricingPolicyCreated { policy_id });
		Ok(policy_id)
	}

	pub(crate) fn do_update_pricing_policy(
		policy_id: PricingPolicyId,
		name: Vec<u8>,
		terms: PolicyTerms<T::AccountId>,
	) -> DispatchResult {
		ensure!(PricingPolicies::<T>::contains_key(policy_id), Error::<T>::PricingPolicyNotExists);
		let name = Self::valid_policy_name(name)?;
		PricingPolicies::<T>::insert(policy_id, Self::policy(policy_id, name, terms));
		Self::deposit_event(Event::PricingPolicyUpdated { policy_id });
		Ok(())
	}

	/// The twin of `who`, or `TwinNotExists`.
	pub fn twin_of(who: &T::AccountId) -> Result<TwinId, DispatchError> {
		TwinIdByAccount::<T>::get(who).ok_or_else(|| Error::<T>::TwinNotExists.into())
	}

	fn owned_farm(who: &T::AccountId, farm_id: FarmId) -> Result<Farm, DispatchError> {
		let twin_id = Self::twin_of(who)?;
		let farm = Farms::<T>::get(farm_id).ok_or(Error::<T>::FarmNotExists)?;
		ensure!(farm.twin_id == twin_id, Error::<T>::NotFarmOwner);
		Ok(farm)
	}

	fn policy(
		id: PricingPolicyId,
		name: BoundedVec<u8, ConstU32<MAX_POLICY_NAME_LEN>>,
		terms: PolicyTerms<T::AccountId>,
	) -> PricingPolicy<T::AccountId> {
		let PolicyTerms { prices, discount_for_dedicated_nodes, foundation_account, sales_account } =
			terms;
		PricingPolicy {
			id,
			name,
			su: prices.su,
			cu: prices.cu,
			nu: prices.nu,
			ipu: prices.ipu,
			unique_name: prices.unique_name,
			discount_for_dedicated_nodes,
			foundation_account,
			sales_account,
		}
	}

	fn bounded_relay(
		relay: Option<Vec<u8>>,
	) -> Result<Option<BoundedVec<u8, ConstU32<MAX_RELAY_LEN>>>, DispatchError> {
		relay.map(|r| r.try_into().map_err(|_| Error::<T>::RelayTooLong.into())).transpose()
	}

	fn valid_farm_name(
		name: Vec<u8>,
	) -> Result<BoundedVec<u8, ConstU32<MAX_FARM_NAME_LEN>>, DispatchError> {
		ensure!(name.len() >= MIN_FARM_NAME_LEN, Error::<T>::FarmNameTooShort);
		ensure!(
			name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-'),
			Error::<T>::FarmNameInvalidCharacters
		);
		name.try_into().map_err(|_| Error::<T>::FarmNameTooLong.into())
	}

	fn valid_policy_name(
		name: Vec<u8>,
	) -> Result<BoundedVec<u8, ConstU32<MAX_POLICY_NAME_LEN>>, DispatchError> {
		ensure!(!name.is_empty(), Error::<T>::InvalidPricingPolicyName);
		name.try_into().map_err(|_| Error::<T>::InvalidPricingPolicyName.into())
	}

	fn ensure_minimum_resources(resources: &Resources) -> DispatchResult {
		ensure!(resources.cru >= MIN_NODE_CRU, Error::<T>::CruBelowMinimum);
		ensure!(resources.mru >= MIN_NODE_MRU, Error::<T>::MruBelowMinimum);
		ensure!(resources.sru >= MIN_NODE_SRU, Error::<T>::SruBelowMinimum);
		Ok(())
	}

	fn bounded_location(location: LocationInput) -> Result<NodeLocation, DispatchError> {
		let bound = |text: Vec<u8>| -> Result<LocationText, DispatchError> {
			text.try_into().map_err(|_| Error::<T>::LocationFieldTooLong.into())
		};
		Ok(Location {
			country: bound(location.country)?,
			city: bound(location.city)?,
			latitude: bound(location.latitude)?,
			longitude: bound(location.longitude)?,
		})
	}

	/// Whether stored CIDR text names `addr`. Stored IPs were validated when added.
	fn same_address(stored: &[u8], addr: core::net::Ipv4Addr) -> bool {
		ip::parse_public_cidr(stored).map(|known| known.addr == addr).unwrap_or(false)
	}

	fn ip_error(e: IpError) -> DispatchError {
		match e {
			IpError::InvalidCidr => Error::<T>::InvalidPublicIp,
			IpError::InvalidPrefix => Error::<T>::InvalidIpPrefix,
			IpError::InvalidGateway => Error::<T>::InvalidGateway,
			IpError::NotPublicUnicast => Error::<T>::IpNotPublicUnicast,
			IpError::IpIsNetworkOrBroadcast => Error::<T>::IpIsNetworkOrBroadcast,
			IpError::GatewayNotInSubnet => Error::<T>::GatewayNotInSubnet,
			IpError::InvalidGatewayAddress => Error::<T>::InvalidGatewayAddress,
		}
		.into()
	}

	/// The registry's invariants: indexes agree with the records they index.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		for (twin_id, twin) in Twins::<T>::iter() {
			ensure!(twin.id == twin_id, "twin record id differs from its key");
			ensure!(
				TwinIdByAccount::<T>::get(&twin.account_id) == Some(twin_id),
				"twin missing from TwinIdByAccount"
			);
		}
		ensure!(
			TwinIdByAccount::<T>::iter().count() == Twins::<T>::iter().count(),
			"TwinIdByAccount has stale entries"
		);
		for (farm_id, farm) in Farms::<T>::iter() {
			ensure!(FarmIdByName::<T>::get(&farm.name) == Some(farm_id), "farm name index wrong");
			ensure!(Twins::<T>::contains_key(farm.twin_id), "farm owned by a missing twin");
		}
		for (node_id, node) in Nodes::<T>::iter() {
			ensure!(NodeIdByTwin::<T>::get(node.twin_id) == Some(node_id), "node twin index wrong");
			ensure!(NodesByFarm::<T>::contains_key(node.farm_id, node_id), "node farm index wrong");
			ensure!(Farms::<T>::contains_key(node.farm_id), "node of a missing farm");
		}
		ensure!(
			NodesByFarm::<T>::iter().count() == Nodes::<T>::iter().count(),
			"NodesByFarm has stale entries"
		);
		Ok(())
	}
}
