//! Benchmarks of every call, of settling one contract in the block hook, and of distributing a
//! block's payments. Each at its worst case.

use super::*;
use crate::{
	billing::{Settled, Settlement},
	Pallet as SmartContract,
};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	EnsureOrigin, UnixTime,
};
use frame_support::BoundedVec;
use frame_system::RawOrigin;
use gridchain_primitives::{ContractId, NodeId, Resources, UNITS_PER_TFT};
use pallet_registry::{GridSetup, MAX_FARM_IPS};

/// `who` with 1,000,000 TFT and a twin.
fn with_twin<T: Config>(who: T::AccountId) -> T::AccountId {
	let _ = T::Currency::set_balance(&who, 1_000_000 * UNITS_PER_TFT);
	T::GridSetup::twin(&who);
	who
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	with_twin::<T>(account(name, index, 0))
}

/// The account that signs the benchmarked call, funded and with a twin. Its `System::Account`
/// entry is whitelisted, as FRAME's benchmarks do for the caller: every signed extrinsic reads and
/// writes it before dispatch (its nonce and its fee), so the call's own use of it (holding a
/// deposit) costs no further database access.
fn signer<T: Config>() -> T::AccountId {
	with_twin::<T>(whitelisted_caller())
}

/// A farm with `ips` public IPs and one node on it; returns the node's account and id.
fn grid<T: Config>(ips: u32) -> (T::AccountId, NodeId) {
	let farmer = funded::<T>("farmer", 0);
	let farm_id = T::GridSetup::farm(&farmer, ips);
	let node = funded::<T>("node", 0);
	let node_id = T::GridSetup::node(&node, farm_id);
	(node, node_id)
}

fn hash(i: u32) -> DeploymentHash {
	let mut h = [0u8; 32];
	h[..4].copy_from_slice(&i.to_le_bytes());
	h
}

fn max_data() -> Vec<u8> {
	vec![7u8; MAX_DEPLOYMENT_DATA_LEN as usize]
}

/// A node contract of `owner` with `ips` IPs and 8 KiB of data; returns its id.
fn contract<T: Config>(owner: &T::AccountId, node_id: NodeId, i: u32, ips: u32) -> ContractId {
	sized_contract::<T>(owner, node_id, i, MAX_DEPLOYMENT_DATA_LEN, ips)
}

/// A node contract of `owner` with `data` bytes of deployment data and `ips` IPs.
fn sized_contract<T: Config>(
	owner: &T::AccountId,
	node_id: NodeId,
	i: u32,
	data: u32,
	ips: u32,
) -> ContractId {
	let result = SmartContract::<T>::do_create_node_contract(
		owner.clone(),
		node_id,
		hash(i),
		vec![7u8; data as usize],
		ips,
		usage(),
	);
	assert!(result.is_ok(), "{result:?}");
	LastContractId::<T>::get()
}

/// What every benchmark's contract declares, and its reports use: 16 vCPUs, 1,000 GiB of SSD,
/// 2,000 GiB of HDD, 64 GiB of memory.
fn usage() -> Resources {
	Resources {
		cru: 16,
		sru: 1000 * gridchain_primitives::GIB,
		hru: 2000 * gridchain_primitives::GIB,
		mru: 64 * gridchain_primitives::GIB,
	}
}

/// A report just after chain time `now`, using all that its contract declares.
fn report(contract_id: ContractId, i: u32, now: u64) -> Consumption {
	let used = usage();
	Consumption {
		contract_id,
		timestamp: now + 1 + i as u64 % 50,
		cru: used.cru,
		sru: used.sru,
		hru: used.hru,
		mru: used.mru,
		nru: 1_000_000_000,
	}
}

/// Mark contract `id` as confirmed once by its node, as reports require.
fn deployed<T: Config>(id: ContractId) {
	Contracts::<T>::mutate(id, |contract| {
		if let Some(BillingKind::Node { ever_deployed, .. }) =
			contract.as_mut().map(|c| &mut c.billing.kind)
		{
			*ever_deployed = true;
		}
	});
}

/// A node contract with one IP, 8 KiB of data and one accepted report: something to settle.
fn reported_contract<T: Config>() -> ContractId {
	let (node, node_id) = grid::<T>(1);
	let owner = funded::<T>("user", 0);
	let id = contract::<T>(&owner, node_id, 1, 1);
	deployed::<T>(id);
	let r = report(id, 0, T::Time::now().as_secs());
	assert!(SmartContract::<T>::do_report_consumption(node, vec![r]).is_ok());
	id
}

/// Give a contract an hour's worth of usage to pay for at the next settlement (1 USD).
fn accrue<T: Config>(id: ContractId) {
	Contracts::<T>::mutate(id, |contract| {
		if let Some(contract) = contract {
			contract.billing.accrued = 1_000_000 * 1_000_000_000;
		}
	});
}

/// Leave `who` one unit above the existential deposit: a settlement takes that unit and owes
/// the rest.
fn nearly_dry<T: Config>(who: &T::AccountId) {
	let _ = T::Currency::set_balance(who, T::Currency::minimum_balance().saturating_add(1));
}

/// A node contract with `data` bytes of data and `ips` IPs whose owner is nearly dry, settled
/// once: in its grace period.
fn contract_in_grace<T: Config>(
	data: u32,
	ips: u32,
) -> Result<(T::AccountId, ContractId), BenchmarkError> {
	let (_, node_id) = grid::<T>(MAX_FARM_IPS);
	let owner = funded::<T>("user", 0);
	let id = sized_contract::<T>(&owner, node_id, 1, data, ips);
	accrue::<T>(id);
	nearly_dry::<T>(&owner);
	let contract = Contracts::<T>::get(id).ok_or(BenchmarkError::Stop("no contract"))?;
	let mut settlement = Settlement::<T>::new();
	if settlement.settle_and_store(contract) != Settled::GraceStarted {
		return Err(BenchmarkError::Stop("the grace period did not start"));
	}
	settlement.distribute();
	Ok((owner, id))
}

/// The settlement of a block in which the hook already read the price and `id`'s policy.
fn hook_settlement<T: Config>(id: ContractId) -> Result<Settlement<T>, BenchmarkError> {
	let contract = Contracts::<T>::get(id).ok_or(BenchmarkError::Stop("no contract"))?;
	let mut settlement = Settlement::<T>::new();
	settlement.preload_policy(contract.billing.pricing_policy_id);
	Ok(settlement)
}

/// What the hook does for one contract: read it, settle it and store it.
fn settle_by_hook<T: Config>(
	settlement: &mut Settlement<T>,
	id: ContractId,
) -> Result<Settled, BenchmarkError> {
	let contract = Contracts::<T>::get(id).ok_or(BenchmarkError::Stop("no contract"))?;
	Ok(settlement.settle_and_store(contract))
}

/// After a plain settlement was measured: distribute the payment and check that `id` paid all.
fn paid_in_full<T: Config>(settlement: Settlement<T>, path: Settled, id: ContractId) {
	settlement.distribute();
	assert_eq!(path, Settled::Plain);
	assert_eq!(billing_of::<T>(id).map(|b| (b.accrued, b.debt)), Some((0, 0)));
}

/// The billing record of contract `id`.
fn billing_of<T: Config>(id: ContractId) -> Option<BillingInfoOf<T>> {
	Contracts::<T>::get(id).map(|c| c.billing)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_node_contract(i: Linear<0, MAX_FARM_IPS>) {
		let (_, node_id) = grid::<T>(MAX_FARM_IPS);
		let caller = signer::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), node_id, hash(1), max_data(), i, usage());
		assert_eq!(LastContractId::<T>::get(), 1);
	}

	/// The heavier update: the capacity grows, so the node and what it declares are read.
	#[benchmark]
	fn update_node_contract() {
		let (_, node_id) = grid::<T>(1);
		let caller = signer::<T>();
		assert!(SmartContract::<T>::do_create_node_contract(
			caller.clone(),
			node_id,
			hash(1),
			vec![],
			1,
			Resources::default(),
		)
		.is_ok());
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), 1, hash(2), max_data(), usage());
		assert_eq!(Contracts::<T>::get(1).map(|c| c.version), Some(2));
		assert_eq!(NodeDeclared::<T>::get(node_id).capacity, usage());
	}

	/// The owner cancels, and its account is counted: that is the cost of the heavier origin, the
	/// contract's node, whose cancellation reads and writes the owner's account for the final bill
	/// and the deposit while its own account comes cached with its fee.
	#[benchmark]
	fn cancel_contract() {
		let (_, node_id) = grid::<T>(MAX_FARM_IPS);
		let caller = funded::<T>("user", 0);
		let id = contract::<T>(&caller, node_id, 1, MAX_FARM_IPS);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), id);
		assert!(Contracts::<T>::get(id).is_none());
	}

	#[benchmark]
	fn cancel_contract_collective() -> Result<(), BenchmarkError> {
		let (_, node_id) = grid::<T>(MAX_FARM_IPS);
		let owner = funded::<T>("user", 0);
		let id = contract::<T>(&owner, node_id, 1, MAX_FARM_IPS);
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id);
		assert!(Contracts::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn create_name_contract() {
		let caller = signer::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), vec![b'n'; MAX_NAME_LEN as usize]);
		assert_eq!(LastContractId::<T>::get(), 1);
	}

	/// Renting a node that holds `c` of the caller's contracts, 8 KiB of data each: every one is
	/// read to see that no other twin has one there.
	#[benchmark]
	fn create_rent_contract(c: Linear<0, MAX_CONTRACTS_PER_NODE>) {
		let (_, node_id) = grid::<T>(0);
		let caller = signer::<T>();
		for i in 0..c {
			contract::<T>(&caller, node_id, i, 0);
		}
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), node_id);
		assert_eq!(ActiveRentContractForNode::<T>::get(node_id), Some(u64::from(c) + 1));
	}

	/// Deleting a rented node: its rent contract and its node contracts (8 KiB of data each) are
	/// billed a last time and ended; `c` hold no IP, `i` hold one each, the heaviest way to spread
	/// `i` IPs. `c` stops short of `MAX_CONTRACTS_PER_NODE` by the IPs' `MAX_FARM_IPS`, so both
	/// fit on one node; the weight is linear in each.
	#[benchmark]
	fn end_contracts_on_node(
		c: Linear<0, { MAX_CONTRACTS_PER_NODE - MAX_FARM_IPS }>,
		i: Linear<0, MAX_FARM_IPS>,
	) {
		let (_, node_id) = grid::<T>(MAX_FARM_IPS);
		let owner = funded::<T>("user", 0);
		let rented = SmartContract::<T>::do_create_rent_contract(owner.clone(), node_id);
		assert!(rented.is_ok(), "{rented:?}");
		accrue::<T>(LastContractId::<T>::get());
		for k in 0..c + i {
			let id = contract::<T>(&owner, node_id, k, u32::from(k >= c));
			accrue::<T>(id);
		}
		let weight;
		#[block]
		{
			weight = SmartContract::<T>::end_contracts_on_node(node_id);
		}
		assert_eq!(weight, SmartContract::<T>::node_deletion_weight(c, i));
		assert_eq!(Contracts::<T>::iter().count(), 0);
		assert_eq!(NodeDeclared::<T>::get(node_id), NodeDeclaredUse::default());
	}

	#[benchmark]
	fn confirm_deployment() {
		let (node, node_id) = grid::<T>(0);
		let owner = funded::<T>("user", 0);
		let id = contract::<T>(&owner, node_id, 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(node), id, hash(1));
		assert_eq!(Contracts::<T>::get(id).map(|c| c.state), Some(ContractState::Deployed));
	}

	/// `n` reports on `n` node contracts with no data and no IP: what a report costs besides its
	/// record, which `report_consumption_record` adds by size.
	#[benchmark]
	fn report_consumption(n: Linear<1, MAX_REPORTS>) {
		let (node, node_id) = grid::<T>(0);
		let owner = funded::<T>("user", 0);
		let now = T::Time::now().as_secs();
		let reports: Vec<Consumption> = (0..n)
			.map(|i| {
				let id = sized_contract::<T>(&owner, node_id, i, 0, 0);
				deployed::<T>(id);
				report(id, i, now)
			})
			.collect();
		let reports: BoundedVec<_, _> = reports.try_into().expect("at most 256");
		#[extrinsic_call]
		_(RawOrigin::Signed(node), reports);
		assert!((1..=u64::from(n)).all(|id| billing_of::<T>(id).is_some_and(|b| b.accrued > 0)));
	}

	/// One report on a node contract with `d` bytes of data and `i` IPs: the report reads,
	/// decodes, encodes and writes the whole record.
	#[benchmark]
	fn report_consumption_record(
		d: Linear<0, MAX_DEPLOYMENT_DATA_LEN>,
		i: Linear<0, MAX_FARM_IPS>,
	) {
		let (node, node_id) = grid::<T>(MAX_FARM_IPS);
		let owner = funded::<T>("user", 0);
		let id = sized_contract::<T>(&owner, node_id, 1, d, i);
		deployed::<T>(id);
		let reports: BoundedVec<_, _> =
			vec![report(id, 0, T::Time::now().as_secs())].try_into().expect("one report");
		#[extrinsic_call]
		report_consumption(RawOrigin::Signed(node), reports);
		assert!(billing_of::<T>(id).is_some_and(|b| b.accrued > 0));
	}

	#[benchmark]
	fn settle_contract() {
		let id = reported_contract::<T>();
		let caller: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), id);
		assert_eq!(billing_of::<T>(id).map(|b| b.accrued), Some(0));
	}

	/// The plain path: a node contract with `d` bytes of data and `i` IPs that pays what it owes.
	/// Settling reads, decodes, encodes and writes its whole record.
	#[benchmark]
	fn settle_contract_in_hook(
		d: Linear<0, MAX_DEPLOYMENT_DATA_LEN>,
		i: Linear<0, MAX_FARM_IPS>,
	) -> Result<(), BenchmarkError> {
		let (_, node_id) = grid::<T>(MAX_FARM_IPS);
		let owner = funded::<T>("user", 0);
		let id = sized_contract::<T>(&owner, node_id, 1, d, i);
		accrue::<T>(id);
		let mut settlement = hook_settlement::<T>(id)?;
		let path;
		#[block]
		{
			path = settle_by_hook(&mut settlement, id)?;
		}
		paid_in_full(settlement, path, id);
		Ok(())
	}

	/// The plain path of a rent contract: its node is read for the price. What it costs beyond
	/// `settle_contract_in_hook(0, 0)` is added to every path of a rent contract.
	#[benchmark]
	fn settle_rent_contract_in_hook() -> Result<(), BenchmarkError> {
		// Reading the node decodes its farm: a farm with every IP it may hold.
		let (_, node_id) = grid::<T>(MAX_FARM_IPS);
		let owner = funded::<T>("user", 0);
		let result = SmartContract::<T>::do_create_rent_contract(owner, node_id);
		assert!(result.is_ok(), "{result:?}");
		let id = LastContractId::<T>::get();
		accrue::<T>(id);
		let mut settlement = hook_settlement::<T>(id)?;
		let path;
		#[block]
		{
			path = settle_by_hook(&mut settlement, id)?;
		}
		paid_in_full(settlement, path, id);
		Ok(())
	}

	/// The owner pays part of what it owes: the grace period starts. `d` bytes of data, `i` IPs.
	#[benchmark]
	fn settle_contract_starting_grace(
		d: Linear<0, MAX_DEPLOYMENT_DATA_LEN>,
		i: Linear<0, MAX_FARM_IPS>,
	) -> Result<(), BenchmarkError> {
		let (_, node_id) = grid::<T>(MAX_FARM_IPS);
		let owner = funded::<T>("user", 0);
		let id = sized_contract::<T>(&owner, node_id, 1, d, i);
		accrue::<T>(id);
		nearly_dry::<T>(&owner);
		let mut settlement = hook_settlement::<T>(id)?;
		let path;
		#[block]
		{
			path = settle_by_hook(&mut settlement, id)?;
		}
		settlement.distribute();
		assert_eq!(path, Settled::GraceStarted);
		assert!(Contracts::<T>::get(id).is_some_and(|c| c.state != ContractState::Created));
		Ok(())
	}

	/// The owner, funded again, pays the debt and the new charge: the grace period ends. `d`
	/// bytes of data, `i` IPs.
	#[benchmark]
	fn settle_contract_ending_grace(
		d: Linear<0, MAX_DEPLOYMENT_DATA_LEN>,
		i: Linear<0, MAX_FARM_IPS>,
	) -> Result<(), BenchmarkError> {
		let (owner, id) = contract_in_grace::<T>(d, i)?;
		let _ = T::Currency::set_balance(&owner, 1_000_000 * UNITS_PER_TFT);
		accrue::<T>(id);
		let mut settlement = hook_settlement::<T>(id)?;
		let path;
		#[block]
		{
			path = settle_by_hook(&mut settlement, id)?;
		}
		settlement.distribute();
		assert_eq!(path, Settled::GraceEnded);
		assert_eq!(Contracts::<T>::get(id).map(|c| c.state), Some(ContractState::Created));
		Ok(())
	}

	/// The grace period ran out: the contract (`d` bytes of data) is deleted, its `i` IPs freed,
	/// its deposit released, its indexes removed.
	#[benchmark]
	fn settle_contract_deleting(
		d: Linear<0, MAX_DEPLOYMENT_DATA_LEN>,
		i: Linear<0, MAX_FARM_IPS>,
	) -> Result<(), BenchmarkError> {
		let (_, id) = contract_in_grace::<T>(d, i)?;
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now + GracePeriodBlocks::<T>::get());
		let mut settlement = hook_settlement::<T>(id)?;
		let path;
		#[block]
		{
			path = settle_by_hook(&mut settlement, id)?;
		}
		settlement.distribute();
		assert_eq!(path, Settled::Deleted);
		assert!(Contracts::<T>::get(id).is_none());
		Ok(())
	}

	/// Paying the three shares of a block's collected payments and burning the rest.
	#[benchmark]
	fn distribute_payments() -> Result<(), BenchmarkError> {
		let id = reported_contract::<T>();
		let contract = Contracts::<T>::get(id).ok_or(BenchmarkError::Stop("no contract"))?;
		let mut settlement = Settlement::<T>::new();
		settlement.settle_and_store(contract);
		#[block]
		{
			settlement.distribute();
		}
		Ok(())
	}

	#[benchmark]
	fn set_billing_frequency() -> Result<(), BenchmarkError> {
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 600u32.into());
		assert_eq!(BillingFrequency::<T>::get(), 600u32.into());
		Ok(())
	}

	#[benchmark]
	fn set_grace_period() -> Result<(), BenchmarkError> {
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 201_600u32.into());
		assert_eq!(GracePeriodBlocks::<T>::get(), 201_600u32.into());
		Ok(())
	}

	impl_benchmark_test_suite!(SmartContract, crate::mock::new_test_ext(), crate::mock::Test);
}
