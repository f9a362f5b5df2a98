//! What the contract calls do. Every function checks all its rules before it writes.

use crate::*;
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::Precision,
		UnixTime,
	},
	BoundedVec,
};
use gridchain_primitives::{Balance, ContractId, NodeId, PricingPolicyId, Resources, TwinId};
use pallet_registry::{GridRegistry, IpReservationError, NodeFacts};

/// Name contracts are billed with the genesis pricing policy.
pub const NAME_CONTRACT_PRICING_POLICY_ID: PricingPolicyId = 1;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_node_contract(
		who: T::AccountId,
		node_id: NodeId,
		deployment_hash: DeploymentHash,
		deployment_data: Vec<u8>,
		public_ips: u32,
		capacity: Resources,
	) -> DispatchResult {
		let twin_id = Self::twin_of(&who)?;
		let node = T::Registry::node(node_id).ok_or(Error::<T>::NodeNotExists)?;
		Self::ensure_node_available(node_id, &node, twin_id)?;
		let declared = Self::declared_after(node_id, &node.resources, None, &capacity)?;
		ensure!(
			!ContractsByNode::<T>::contains_key(node_id, deployment_hash),
			Error::<T>::ContractIsNotUnique
		);
		let deployment_data: DeploymentData =
			deployment_data.try_into().map_err(|_| Error::<T>::DeploymentDataTooLarge)?;
		let deposit = Self::deposit_for(deployment_data.len());
		let contract_id = Self::next_contract_id()?;

		Self::ensure_can_hold_deposit(&who, deposit)?;
		let reserved = T::Registry::reserve_public_ips(node.farm_id, contract_id, public_ips)
			.map_err(Self::ip_error)?;
		Self::hold_deposit(&who, deposit)?;

		let public_ips_list = Self::contract_ips(reserved)?;
		ContractsByNode::<T>::insert(node_id, deployment_hash, contract_id);
		NodeDeclared::<T>::insert(node_id, declared);
		if public_ips > 0 {
			Self::deposit_event(Event::IpsReserved {
				contract_id,
				public_ips: public_ips_list.to_vec(),
			});
		}
		let kind = BillingKind::Node {
			used: Default::default(),
			hourly_capacity_cost: 0,
			last_report_secs: T::Time::now().as_secs(),
			ever_deployed: false,
		};
		let node_contract = NodeContract {
			node_id,
			deployment_hash,
			deployment_data,
			public_ips,
			public_ips_list,
			capacity,
		};
		Self::register_contract(
			who,
			twin_id,
			contract_id,
			ContractType::Node(node_contract),
			deposit,
			node.pricing_policy_id,
			kind,
		);
		Ok(())
	}

	pub(crate) fn do_update_node_contract(
		who: T::AccountId,
		contract_id: ContractId,
		deployment_hash: DeploymentHash,
		deployment_data: Vec<u8>,
		capacity: Resources,
	) -> DispatchResult {
		let twin_id = Self::twin_of(&who)?;
		let mut contract = Contracts::<T>::get(contract_id).ok_or(Error::<T>::ContractNotExists)?;
		ensure!(contract.twin_id == twin_id, Error::<T>::NotContractOwner);
		ensure!(
			!matches!(contract.state, ContractState::GracePeriod(_)),
			Error::<T>::ContractInGracePeriod
		);
		let ContractType::Node(ref mut nc) = contract.contract_type else {
			return Err(Error::<T>::NotANodeContract.into());
		};
		let node_id = nc.node_id;
		if nc.deployment_hash != deployment_hash {
			ensure!(
				!ContractsByNode::<T>::contains_key(node_id, deployment_hash),
				Error::<T>::ContractIsNotUnique
			);
		}
		let declared = if nc.capacity == capacity {
			None
		} else {
			let node = T::Registry::node(node_id).ok_or(Error::<T>::NodeNotExists)?;
			Some(Self::declared_after(node_id, &node.resources, Some(&nc.capacity), &capacity)?)
		};
		let deployment_data: DeploymentData =
			deployment_data.try_into().map_err(|_| Error::<T>::DeploymentDataTooLarge)?;
		let old_deposit = contract.billing.deposit;
		let new_deposit = Self::deposit_for(deployment_data.len());
		if new_deposit > old_deposit {
			Self::hold_deposit(&who, new_deposit.saturating_sub(old_deposit))?;
		} else {
			Self::release_deposit(&who, old_deposit.saturating_sub(new_deposit));
		}

		ContractsByNode::<T>::remove(node_id, nc.deployment_hash);
		ContractsByNode::<T>::insert(node_id, deployment_hash, contract_id);
		if let Some(declared) = declared {
			NodeDeclared::<T>::insert(node_id, declared);
		}
		nc.deployment_hash = deployment_hash;
		nc.deployment_data = deployment_data;
		nc.capacity = capacity;
		contract.version = contract.version.saturating_add(1);
		contract.state = ContractState::Created;
		contract.billing.deposit = new_deposit;
		let version = contract.version;
		Contracts::<T>::insert(contract_id, contract);
		Self::deposit_event(Event::ContractUpdated { contract_id, version, capacity });
		Ok(())
	}

	pub(crate) fn do_confirm_deployment(
		who: T::AccountId,
		contract_id: ContractId,
		deployment_hash: DeploymentHash,
	) -> DispatchResult {
		let twin_id = Self::twin_of(&who)?;
		let mut contract = Contracts::<T>::get(contract_id).ok_or(Error::<T>::ContractNotExists)?;
		let nc = contract.node_contract().ok_or(Error::<T>::NotANodeContract)?;
		let node_id = nc.node_id;
		let node = T::Registry::node(node_id).ok_or(Error::<T>::NodeNotExists)?;
		ensure!(node.twin_id == twin_id, Error::<T>::NotContractNode);
		ensure!(nc.deployment_hash == deployment_hash, Error::<T>::DeploymentHashMismatch);
		ensure!(
			contract.state == ContractState::Created,
			Error::<T>::ContractNotAwaitingDeployment
		);

		contract.state = ContractState::Deployed;
		if let BillingKind::Node { ever_deployed, .. } = &mut contract.billing.kind {
			*ever_deployed = true;
		}
		Contracts::<T>::insert(contract_id, contract);
		Self::deposit_event(Event::ContractDeployed { contract_id, node_id });
		Ok(())
	}

	pub(crate) fn do_cancel_contract(who: T::AccountId, contract_id: ContractId) -> DispatchResult {
		let twin_id = Self::twin_of(&who)?;
		let contract = Contracts::<T>::get(contract_id).ok_or(Error::<T>::ContractNotExists)?;
		let cause = if contract.twin_id == twin_id {
			Cause::CanceledByUser
		} else {
			let node_twin = contract.node_id().and_then(T::Registry::node).map(|n| n.twin_id);
			ensure!(node_twin == Some(twin_id), Error::<T>::NotAllowedToCancel);
			Cause::CanceledByNode
		};
		Self::ensure_can_end(&contract)?;
		Self::settle_and_end([contract], cause);
		Ok(())
	}

	pub(crate) fn do_cancel_contract_collective(contract_id: ContractId) -> DispatchResult {
		let contract = Contracts::<T>::get(contract_id).ok_or(Error::<T>::ContractNotExists)?;
		Self::ensure_can_end(&contract)?;
		Self::settle_and_end([contract], Cause::CanceledByCollective);
		Ok(())
	}

	pub(crate) fn do_create_name_contract(who: T::AccountId, name: Vec<u8>) -> DispatchResult {
		let twin_id = Self::twin_of(&who)?;
		let name = Self::valid_name(name)?;
		ensure!(!ContractIdByName::<T>::contains_key(&name), Error::<T>::NameExists);
		let deposit = T::DepositBase::get();
		let contract_id = Self::next_contract_id()?;
		Self::hold_deposit(&who, deposit)?;

		ContractIdByName::<T>::insert(&name, contract_id);
		Self::register_contract(
			who,
			twin_id,
			contract_id,
			ContractType::Name { name },
			deposit,
			NAME_CONTRACT_PRICING_POLICY_ID,
			BillingKind::Name,
		);
		Ok(())
	}

	/// Returns how many of the node's contracts it walked: at most `MaxContractsPerNode`.
	pub(crate) fn do_create_rent_contract(
		who: T::AccountId,
		node_id: NodeId,
	) -> Result<u32, DispatchError> {
		let twin_id = Self::twin_of(&who)?;
		let node = T::Registry::node(node_id).ok_or(Error::<T>::NodeNotExists)?;
		ensure!(
			!ActiveRentContractForNode::<T>::contains_key(node_id),
			Error::<T>::NodeAlreadyRented
		);
		let mut walked: u32 = 0;
		let foreign = ContractsByNode::<T>::iter_prefix_values(node_id).any(|id| {
			walked = walked.saturating_add(1);
			Contracts::<T>::get(id).is_some_and(|c| c.twin_id != twin_id)
		});
		ensure!(!foreign, Error::<T>::NodeHasContractsOfOtherTwins);
		let deposit = T::DepositBase::get();
		let contract_id = Self::next_contract_id()?;
		Self::hold_deposit(&who, deposit)?;

		ActiveRentContractForNode::<T>::insert(node_id, contract_id);
		Self::register_contract(
			who,
			twin_id,
			contract_id,
			ContractType::Rent { node_id },
			deposit,
			node.pricing_policy_id,
			BillingKind::Rent,
		);
		Ok(walked)
	}

	/// End every contract on a deleted node after a final bill, node contracts first, then its
	/// rent contract. Returns the weight used: at most `node_deletion_weight` of a full node.
	pub(crate) fn end_contracts_on_node(node_id: NodeId) -> Weight {
		let node_contracts: Vec<ContractId> =
			ContractsByNode::<T>::iter_prefix_values(node_id).collect();
		let rent = ActiveRentContractForNode::<T>::get(node_id);
		let contracts: Vec<ContractOf<T>> =
			node_contracts.into_iter().chain(rent).filter_map(Contracts::<T>::get).collect();
		let ips: u32 = contracts
			.iter()
			.filter_map(|c| c.node_contract())
			.map(|nc| nc.public_ips_list.len() as u32)
			.sum();
		let without_ips = contracts
			.iter()
			.filter(|c| c.node_contract().is_some_and(|nc| nc.public_ips_list.is_empty()))
			.count() as u32;
		Self::settle_and_end(contracts, Cause::CanceledByNode);
		Self::node_deletion_weight(without_ips, ips)
	}

	/// The weight of ending a node's contracts: `without_ips` node contracts holding no IP and
	/// others holding `ips` IPs in all, as the benchmark spreads them (one each, the heaviest
	/// spread), besides a rent contract.
	pub fn node_deletion_weight(without_ips: u32, ips: u32) -> Weight {
		T::WeightInfo::end_contracts_on_node(without_ips, ips)
	}

	/// Cancellation settles first, for the exact time since the last settlement (SPEC §6.3).
	/// The contracts share one settlement: price and policy are read, and payments distributed,
	/// once for all of them.
	fn settle_and_end(contracts: impl IntoIterator<Item = ContractOf<T>>, cause: Cause) {
		let mut settlement = billing::Settlement::<T>::new();
		let mut contracts: Vec<_> = contracts.into_iter().collect();
		for contract in &mut contracts {
			settlement.settle(contract, false);
		}
		settlement.distribute();
		for contract in contracts {
			Self::end_contract(contract, cause);
		}
	}

	/// The one way a contract ends, whatever the cause: free its IPs, release its deposit, drop
	/// it from every index and remove it.
	pub(crate) fn end_contract(contract: ContractOf<T>, cause: Cause) {
		let contract_id = contract.contract_id;
		match &contract.contract_type {
			ContractType::Node(nc) => {
				if !nc.public_ips_list.is_empty() {
					if let Some(node) = T::Registry::node(nc.node_id) {
						T::Registry::free_public_ips(node.farm_id, contract_id);
					}
					Self::deposit_event(Event::IpsFreed {
						contract_id,
						public_ips: nc.public_ips_list.to_vec(),
					});
				}
				ContractsByNode::<T>::remove(nc.node_id, nc.deployment_hash);
				NodeDeclared::<T>::mutate_exists(nc.node_id, |declared| {
					if let Some(use_) = declared {
						use_.remove(&nc.capacity);
						if use_.contracts == 0 {
							*declared = None;
						}
					}
				});
			}
			ContractType::Name { name } => ContractIdByName::<T>::remove(name),
			ContractType::Rent { node_id } => ActiveRentContractForNode::<T>::remove(node_id),
		}
		Self::release_deposit(&contract.billing.owner, contract.billing.deposit);
		let unpaid = contract.billing.debt;
		ContractsByTwin::<T>::remove(contract.twin_id, contract_id);
		Contracts::<T>::remove(contract_id);
		Self::deposit_event(Event::ContractCanceled { contract_id, cause, unpaid });
	}

	fn ensure_can_end(contract: &ContractOf<T>) -> DispatchResult {
		if let ContractType::Rent { node_id } = contract.contract_type {
			ensure!(
				ContractsByNode::<T>::iter_prefix_values(node_id).next().is_none(),
				Error::<T>::NodeHasActiveContracts
			);
		}
		Ok(())
	}

	/// What `node_id` declares once a contract declaring `new` is added (`old` is `None`) or
	/// replaces one declaring `old`. Refuses a new contract beyond `MaxContractsPerNode`, and any
	/// resource that grows beyond the node's `resources`; a resource that shrinks or stays is
	/// never refused, so an owner can always make a contract smaller.
	fn declared_after(
		node_id: NodeId,
		resources: &Resources,
		old: Option<&Resources>,
		new: &Resources,
	) -> Result<NodeDeclaredUse, DispatchError> {
		let mut declared = NodeDeclared::<T>::get(node_id);
		let zero = Resources::default();
		let old = match old {
			Some(old) => old,
			None => {
				ensure!(
					declared.contracts < T::MaxContractsPerNode::get(),
					Error::<T>::TooManyContractsOnNode
				);
				declared.contracts = declared.contracts.saturating_add(1);
				&zero
			}
		};
		declared.capacity = declared.capacity.saturating_sub(old).saturating_add(new);
		let fits = |capacity: u64, total: u64, old: u64, new: u64| new <= old || total <= capacity;
		let total = &declared.capacity;
		ensure!(
			fits(resources.cru, total.cru, old.cru, new.cru)
				&& fits(resources.sru, total.sru, old.sru, new.sru)
				&& fits(resources.hru, total.hru, old.hru, new.hru)
				&& fits(resources.mru, total.mru, old.mru, new.mru),
			Error::<T>::NodeHasNotEnoughCapacity
		);
		Ok(declared)
	}

	fn ensure_node_available(node_id: NodeId, node: &NodeFacts, twin_id: TwinId) -> DispatchResult {
		match ActiveRentContractForNode::<T>::get(node_id).and_then(Contracts::<T>::get) {
			Some(rent) => ensure!(rent.twin_id == twin_id, Error::<T>::NodeNotAvailableToDeploy),
			None => ensure!(!node.dedicated_farm, Error::<T>::NodeNotAvailableToDeploy),
		}
		Ok(())
	}

	/// Store a new contract, with its billing record, and its indexes, and announce it. Every
	/// check has passed and the deposit is held.
	fn register_contract(
		owner: T::AccountId,
		twin_id: TwinId,
		contract_id: ContractId,
		contract_type: ContractType,
		deposit: Balance,
		pricing_policy_id: PricingPolicyId,
		kind: BillingKind,
	) {
		let (node_id, public_ips, capacity) = match &contract_type {
			ContractType::Node(nc) => (Some(nc.node_id), nc.public_ips_list.to_vec(), nc.capacity),
			ContractType::Rent { node_id } => (Some(*node_id), Vec::new(), Resources::default()),
			ContractType::Name { .. } => (None, Vec::new(), Resources::default()),
		};
		let info = BillingInfo {
			owner,
			pricing_policy_id,
			kind,
			accrued: 0,
			debt: 0,
			last_settled_secs: T::Time::now().as_secs(),
			grace: None,
			deposit,
		};
		let contract = Contract {
			version: 1,
			contract_id,
			twin_id,
			contract_type,
			state: ContractState::Created,
			billing: info,
		};
		LastContractId::<T>::put(contract_id);
		ContractsByTwin::<T>::insert(twin_id, contract_id, ());
		Contracts::<T>::insert(contract_id, contract);
		Self::deposit_event(Event::ContractCreated {
			contract_id,
			twin_id,
			node_id,
			public_ips,
			deposit,
			capacity,
		});
	}

	fn twin_of(who: &T::AccountId) -> Result<TwinId, DispatchError> {
		T::Registry::twin_of(who).ok_or_else(|| Error::<T>::TwinNotExists.into())
	}

	fn next_contract_id() -> Result<ContractId, DispatchError> {
		LastContractId::<T>::get()
			.checked_add(1)
			.ok_or_else(|| Error::<T>::ContractIdsExhausted.into())
	}

	/// 1 TFT plus 0.001 TFT per byte of deployment data (SPEC §4.3).
	pub fn deposit_for(data_len: usize) -> Balance {
		T::DepositBase::get()
			.saturating_add(T::DepositPerByte::get().saturating_mul(data_len as Balance))
	}

	fn ensure_can_hold_deposit(who: &T::AccountId, amount: Balance) -> DispatchResult {
		T::Currency::ensure_can_hold(&HoldReason::ContractDeposit.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientBalanceForDeposit.into())
	}

	fn hold_deposit(who: &T::AccountId, amount: Balance) -> DispatchResult {
		if amount == 0 {
			return Ok(());
		}
		T::Currency::hold(&HoldReason::ContractDeposit.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientBalanceForDeposit.into())
	}

	fn release_deposit(who: &T::AccountId, amount: Balance) {
		if amount == 0 {
			return;
		}
		// Best effort: a hold of this reason is only ever made by this pallet, for this amount.
		let _ = T::Currency::release(
			&HoldReason::ContractDeposit.into(),
			who,
			amount,
			Precision::BestEffort,
		);
	}

	fn contract_ips(
		reserved: Vec<pallet_registry::ReservedIp>,
	) -> Result<BoundedVec<ContractIp, ConstU32<{ pallet_registry::MAX_FARM_IPS }>>, DispatchError>
	{
		let ips: Vec<ContractIp> = reserved
			.into_iter()
			.filter_map(|(ip, gateway)| {
				Some(ContractIp { ip: ip.try_into().ok()?, gateway: gateway.try_into().ok()? })
			})
			.collect();
		ips.try_into().map_err(|_| Error::<T>::FarmHasNotEnoughPublicIPs.into())
	}

	fn valid_name(name: Vec<u8>) -> Result<ContractName, DispatchError> {
		ensure!(name.len() >= MIN_NAME_LEN, Error::<T>::NameTooShort);
		ensure!(
			name.iter()
				.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-'),
			Error::<T>::NameInvalidCharacters
		);
		name.try_into().map_err(|_| Error::<T>::NameTooLong.into())
	}

	fn ip_error(e: IpReservationError) -> DispatchError {
		match e {
			IpReservationError::FarmNotExists => Error::<T>::NodeNotExists,
			IpReservationError::NotEnoughIps => Error::<T>::FarmHasNotEnoughPublicIPs,
			IpReservationError::NotEnoughFreeIps => Error::<T>::FarmHasNotEnoughPublicIPsFree,
		}
		.into()
	}
}

impl<T: Config> pallet_registry::OnNodeDeleted for Pallet<T> {
	fn max_weight() -> Weight {
		let full = T::MaxContractsPerNode::get();
		Self::node_deletion_weight(full, full.min(pallet_registry::MAX_FARM_IPS))
	}

	fn on_node_deleted(node_id: NodeId) -> Result<Weight, DispatchError> {
		Ok(Self::end_contracts_on_node(node_id))
	}
}
