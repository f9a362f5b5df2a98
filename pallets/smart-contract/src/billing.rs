//! Settlement (SPEC §6.2, §6.3): in the runtime's own block hook, bounded by weight, with no
//! off-chain worker, validator key or signed transaction.
//!
//! Every `BillingFrequency` blocks a billing pass starts. It walks the `Contracts` map in key
//! order, `ceil(live contracts / frequency)` contracts a block, and ends when every contract has
//! been settled once. The live count is the last pass's own (`LastPassCensus`), plus the
//! contracts created since it started: creating and ending a contract keep no count. What does
//! not fit in a block's `SettlementWeightLimit` carries over to the next
//! block through the pass cursor; a new pass only starts once the previous one ended. Settling
//! charges the exact chain time since the contract's last settlement, so a contract can neither be
//! skipped nor charged twice for the same period.
//!
//! Payments are collected per pricing policy and distributed once per block: 10 % to the
//! foundation account, 5 % to the staking pool, 50 % to the sales account, and 35 % burned.

use crate::*;
use alloc::collections::btree_map::BTreeMap;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{self, Balanced, Inspect},
		tokens::{imbalance::Imbalance, Fortitude, Precision, Preservation},
		UnixTime,
	},
	weights::WeightMeter,
};
use frame_system::pallet_prelude::BlockNumberFor;
use gridchain_primitives::{
	cost::{name_cost, public_ip_cost, rent_cost, SECS_PER_HOUR},
	tft::{tft_due, Distribution, HOURS_PER_MONTH},
	Balance, ContractId, DiscountLevel, PricingPolicyId, ScaledCost,
};
use pallet_registry::{GridRegistry, PolicyFacts};
use pallet_tft_price::TftPriceProvider;
use sp_runtime::{
	traits::{Saturating, Zero},
	SaturatedConversion,
};

type CreditOf<T> =
	fungible::Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;

/// What settling a contract did: each path has its own benchmarked weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Settled {
	/// Charged, nothing else changed (or nothing to charge with).
	Plain,
	/// Charged less than owed: the grace period started.
	GraceStarted,
	/// The debt was paid: the grace period ended.
	GraceEnded,
	/// The grace period ran out: the contract was deleted (`OutOfFunds`), its IPs freed.
	Deleted,
}

/// The size of a contract's record, which settling it reads, decodes, encodes and writes: its
/// weight grows with the deployment data and the IPs it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Shape {
	/// Bytes of deployment data (a name contract: its name).
	pub data: u32,
	/// Public IPs held.
	pub ips: u32,
	/// A rent contract: its node is read for the price.
	pub rent: bool,
}

impl Shape {
	/// The largest record any contract can have.
	pub(crate) const LARGEST: Shape =
		Shape { data: MAX_DEPLOYMENT_DATA_LEN, ips: pallet_registry::MAX_FARM_IPS, rent: true };

	pub(crate) fn of<T: Config>(contract: &ContractOf<T>) -> Self {
		let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
		match &contract.contract_type {
			ContractType::Node(nc) => Shape {
				data: len(nc.deployment_data.len()),
				ips: len(nc.public_ips_list.len()),
				rent: false,
			},
			ContractType::Name { name } => Shape { data: len(name.len()), ips: 0, rent: false },
			ContractType::Rent { .. } => Shape { data: 0, ips: 0, rent: true },
		}
	}
}

/// The settlements of one block (or one extrinsic): the price, the pricing policies read so far,
/// and the payments collected, to be distributed together.
pub(crate) struct Settlement<T: Config> {
	price_musd: u32,
	now_secs: u64,
	block: BlockNumberFor<T>,
	policies: BTreeMap<PricingPolicyId, Option<PolicyFacts<T::AccountId>>>,
	collected: BTreeMap<PricingPolicyId, CreditOf<T>>,
}

impl<T: Config> Settlement<T> {
	pub(crate) fn new() -> Self {
		Settlement {
			price_musd: T::TftPrice::billing_price_musd(),
			now_secs: T::Time::now().as_secs(),
			block: frame_system::Pallet::<T>::block_number(),
			policies: BTreeMap::new(),
			collected: BTreeMap::new(),
		}
	}

	/// Read a pricing policy into the cache, as the first settlement of a block does.
	#[cfg(feature = "runtime-benchmarks")]
	pub(crate) fn preload_policy(&mut self, id: PricingPolicyId) {
		let _ = self.policy(id);
	}

	fn policy(&mut self, id: PricingPolicyId) -> Option<PolicyFacts<T::AccountId>> {
		self.policies.entry(id).or_insert_with(|| T::Registry::pricing_policy(id)).clone()
	}

	/// The time-based cost since the last settlement, and the contract's current hourly cost.
	fn time_cost(
		&self,
		contract: &ContractOf<T>,
		policy: &PolicyFacts<T::AccountId>,
		elapsed_secs: u64,
	) -> (ScaledCost, ScaledCost) {
		let prices = &policy.prices;
		match &contract.contract_type {
			ContractType::Node(nc) => {
				let capacity = match contract.billing.kind {
					BillingKind::Node { hourly_capacity_cost, .. } => hourly_capacity_cost,
					_ => 0,
				};
				(
					public_ip_cost(prices, nc.public_ips, elapsed_secs),
					capacity.saturating_add(public_ip_cost(prices, nc.public_ips, SECS_PER_HOUR)),
				)
			}
			ContractType::Name { .. } => {
				(name_cost(prices, elapsed_secs), name_cost(prices, SECS_PER_HOUR))
			}
			ContractType::Rent { node_id } => match T::Registry::node(*node_id) {
				Some(node) => {
					let discount = policy.discount_for_dedicated_nodes.deconstruct();
					(
						rent_cost(prices, &node.resources, elapsed_secs, node.certified, discount),
						rent_cost(prices, &node.resources, SECS_PER_HOUR, node.certified, discount),
					)
				}
				None => (0, 0),
			},
		}
	}

	/// Settle one contract now (SPEC §6.3) and store it, or delete it (`OutOfFunds`) when its
	/// grace period ran out.
	pub(crate) fn settle_and_store(&mut self, mut contract: ContractOf<T>) -> Settled {
		let path = self.settle(&mut contract, true);
		match path {
			Settled::Deleted => Pallet::<T>::end_contract(contract, Cause::OutOfFunds),
			_ => Contracts::<T>::insert(contract.contract_id, contract),
		}
		path
	}

	/// Settle one contract now (SPEC §6.3), in memory: its billing record and state change, and
	/// the caller stores or ends it. `Deleted` when `may_end` and its grace period ran out.
	pub(crate) fn settle(&mut self, contract: &mut ContractOf<T>, may_end: bool) -> Settled {
		let contract_id = contract.contract_id;
		let Some(policy) = self.policy(contract.billing.pricing_policy_id) else {
			// Policies are never removed; without one there is nothing to bill with.
			return Settled::Plain;
		};
		let elapsed_secs = self.now_secs.saturating_sub(contract.billing.last_settled_secs);
		let (time_cost, hourly_cost) = self.time_cost(contract, &policy, elapsed_secs);
		let info = &mut contract.billing;
		let cost = info.accrued.saturating_add(time_cost);

		let monthly = tft_due(hourly_cost, self.price_musd, 100).saturating_mul(HOURS_PER_MONTH);
		let level = DiscountLevel::for_balance(T::Currency::balance(&info.owner), monthly);
		let due = tft_due(cost, self.price_musd, level.pays_percent());
		let owed = info.debt.saturating_add(due);
		let paid = self.collect(info.pricing_policy_id, &info.owner, owed);

		info.debt = owed.saturating_sub(paid);
		info.accrued = 0;
		info.last_settled_secs = self.now_secs;
		Pallet::<T>::deposit_event(Event::ContractBilled {
			contract_id,
			amount: paid,
			discount_level: level,
		});

		match (info.debt.is_zero(), info.grace) {
			(false, None) => {
				info.grace = Some((self.block, contract.state == ContractState::Deployed));
				contract.state = ContractState::GracePeriod(self.block);
				Pallet::<T>::deposit_event(Event::ContractGracePeriodStarted {
					contract_id,
					debt: contract.billing.debt,
				});
				Settled::GraceStarted
			}
			(false, Some((since, _)))
				if may_end && self.block.saturating_sub(since) >= GracePeriodBlocks::<T>::get() =>
			{
				Settled::Deleted
			}
			(true, Some((_, was_deployed))) => {
				info.grace = None;
				contract.state =
					if was_deployed { ContractState::Deployed } else { ContractState::Created };
				Pallet::<T>::deposit_event(Event::ContractGracePeriodEnded { contract_id });
				Settled::GraceEnded
			}
			_ => Settled::Plain,
		}
	}

	/// Take up to `amount` from `owner`, keeping the existential deposit; returns what was taken.
	fn collect(
		&mut self,
		policy_id: PricingPolicyId,
		owner: &T::AccountId,
		amount: Balance,
	) -> Balance {
		if amount.is_zero() {
			return 0;
		}
		let available =
			T::Currency::reducible_balance(owner, Preservation::Preserve, Fortitude::Polite);
		let take = amount.min(available);
		if take.is_zero() {
			return 0;
		}
		match T::Currency::withdraw(
			owner,
			take,
			Precision::Exact,
			Preservation::Preserve,
			Fortitude::Polite,
		) {
			Ok(credit) => {
				let taken = credit.peek();
				let total = match self.collected.remove(&policy_id) {
					Some(earlier) => earlier.merge(credit),
					None => credit,
				};
				self.collected.insert(policy_id, total);
				taken
			}
			Err(_) => 0,
		}
	}

	/// Pay the foundation, staking pool and sales accounts their shares of everything collected,
	/// and burn the rest: one transfer each per pricing policy, one burn.
	pub(crate) fn distribute(mut self) {
		let mut burned: Balance = 0;
		let collected = core::mem::take(&mut self.collected);
		for (policy_id, credit) in collected {
			let Some(policy) = self.policy(policy_id) else {
				burned = burned.saturating_add(credit.peek());
				continue;
			};
			let shares = Distribution::of(credit.peek());
			let (foundation, rest) = credit.split(shares.foundation);
			let (staking, rest) = rest.split(shares.staking_pool);
			let (sales, burn) = rest.split(shares.sales);
			burned = burned.saturating_add(burn.peek());
			for (who, part) in [
				(policy.foundation_account, foundation),
				(T::StakingPoolAccount::get(), staking),
				(policy.sales_account, sales),
			] {
				// An account that cannot receive (below the existential deposit) is burned for.
				if let Err(unplaced) = T::Currency::resolve(&who, part) {
					burned = burned.saturating_add(unplaced.peek());
				}
			}
			// Dropping the burned share reduces total issuance.
		}
		if !burned.is_zero() {
			Pallet::<T>::deposit_event(Event::TokensBurned { amount: burned });
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The block hook: start a pass every `BillingFrequency` blocks and settle this block's share,
	/// metering each settlement at the weight of the path it took for the size of its record. The
	/// share stops early when the heaviest path on the largest record might no longer fit in
	/// `SettlementWeightLimit`; the rest carries over.
	pub(crate) fn settle_due_contracts(n: BlockNumberFor<T>) -> Weight {
		let db = T::DbWeight::get();
		let mut meter = WeightMeter::with_limit(T::SettlementWeightLimit::get());
		meter.consume(db.reads(2));
		let frequency = BillingFrequency::<T>::get();
		if frequency.is_zero() {
			return meter.consumed();
		}
		let mut pass = match BillingPass::<T>::get() {
			Some(pass) => pass,
			None if (n % frequency).is_zero() => {
				meter.consume(db.reads(2));
				let last_id = LastContractId::<T>::get();
				BillingPassState::starting(
					LastPassCensus::<T>::get().live_bound(last_id),
					frequency.saturated_into(),
					last_id,
				)
			}
			None => return meter.consumed(),
		};
		// The price and chain time, the pass cursor's write (or the census's, as it ends) and the
		// distribution of payments, reserved first.
		meter.consume(db.reads_writes(2, 2).saturating_add(T::WeightInfo::distribute_payments()));

		// A settlement may also read a pricing policy the block has not read yet.
		let heaviest = Self::heaviest_settlement().saturating_add(db.reads(1));
		let mut due = match &pass.cursor {
			Some(key) => Contracts::<T>::iter_from(key.to_vec()),
			None => Contracts::<T>::iter(),
		};
		let mut settlement = Settlement::<T>::new();
		let mut settled: u32 = 0;
		let mut last = None;
		let mut exhausted = false;
		while settled < pass.per_block && meter.can_consume(heaviest) {
			// Settling writes only the record just read or removes it: the walk stays valid.
			let Some((contract_id, contract)) = due.next() else {
				exhausted = true;
				break;
			};
			let policies_read = settlement.policies.len();
			let shape = Shape::of::<T>(&contract);
			let path = settlement.settle_and_store(contract);
			meter.consume(Self::settlement_weight(path, shape));
			if settlement.policies.len() > policies_read {
				meter.consume(db.reads(1));
			}
			settled = settled.saturating_add(1);
			last = Some(contract_id);
		}
		settlement.distribute();
		log::debug!(
			target: "runtime::billing",
			"block {n:?}: settled {settled} of {}, declared {} ps",
			pass.per_block,
			meter.consumed().ref_time(),
		);

		pass.settled = pass.settled.saturating_add(settled.into());
		if exhausted {
			LastPassCensus::<T>::put(pass.census());
			BillingPass::<T>::kill();
		} else {
			if let Some(id) = last {
				pass.cursor = Contracts::<T>::hashed_key_for(id).try_into().ok();
			}
			BillingPass::<T>::put(pass);
		}
		meter.consumed()
	}

	/// The benchmarked weight of one settlement by the block hook, for the path it took and the
	/// size of the record it settled. A rent contract also reads its node.
	pub(crate) fn settlement_weight(path: Settled, shape: Shape) -> Weight {
		let Shape { data, ips, rent } = shape;
		let data = data.min(MAX_DEPLOYMENT_DATA_LEN);
		let ips = ips.min(pallet_registry::MAX_FARM_IPS);
		let weight = match path {
			Settled::Plain => T::WeightInfo::settle_contract_in_hook(data, ips),
			Settled::GraceStarted => T::WeightInfo::settle_contract_starting_grace(data, ips),
			Settled::GraceEnded => T::WeightInfo::settle_contract_ending_grace(data, ips),
			Settled::Deleted => T::WeightInfo::settle_contract_deleting(data, ips),
		};
		if rent {
			let node_read = T::WeightInfo::settle_rent_contract_in_hook()
				.saturating_sub(T::WeightInfo::settle_contract_in_hook(0, 0));
			weight.saturating_add(node_read)
		} else {
			weight
		}
	}

	/// The most one settlement by the block hook can weigh: the heaviest of its paths, on the
	/// largest record.
	pub(crate) fn heaviest_settlement() -> Weight {
		[Settled::Plain, Settled::GraceStarted, Settled::GraceEnded, Settled::Deleted]
			.into_iter()
			.map(|path| Self::settlement_weight(path, Shape::LARGEST))
			.fold(Weight::zero(), |heaviest, w| heaviest.max(w))
	}

	pub(crate) fn do_settle_contract(
		contract_id: ContractId,
	) -> Result<(Settled, Shape), DispatchError> {
		let contract = Contracts::<T>::get(contract_id).ok_or(Error::<T>::ContractNotExists)?;
		let shape = Shape::of::<T>(&contract);
		let mut settlement = Settlement::<T>::new();
		let path = settlement.settle_and_store(contract);
		settlement.distribute();
		Ok((path, shape))
	}

	/// The weight of `settle_contract`: its benchmark (a plain settlement of a node contract with
	/// 8 KiB of data and one IP) plus what the path taken costs beyond that; the heaviest path on
	/// the largest record when it is not known yet.
	pub(crate) fn settle_contract_weight(settled: Option<(Settled, Shape)>) -> Weight {
		let extra = match settled {
			Some((path, shape)) => Self::settlement_weight(path, shape),
			None => Self::heaviest_settlement(),
		};
		let benchmarked = Shape { data: MAX_DEPLOYMENT_DATA_LEN, ips: 1, rent: false };
		T::WeightInfo::settle_contract().saturating_add(
			extra.saturating_sub(Self::settlement_weight(Settled::Plain, benchmarked)),
		)
	}
}
