//! Consumption reports (SPEC §6.1): each accepted report accrues its cost; nothing is paid here.

use crate::{billing::Shape, *};
use alloc::vec::Vec;
use codec::Compact;
use frame_support::{pallet_prelude::*, traits::UnixTime};
use frame_system::pallet_prelude::BlockNumberFor;
use gridchain_primitives::{
	cost::{capacity_cost, node_contract_cost, SECS_PER_HOUR},
	ContractId, NodeId, TwinId,
};
use pallet_registry::GridRegistry;

impl<T: Config> Pallet<T> {
	/// Accrue each report; returns the weight of the call for the records it read.
	pub(crate) fn do_report_consumption(
		who: T::AccountId,
		reports: Vec<Consumption>,
	) -> Result<Weight, DispatchError> {
		// Everything about the reporting node is read once per call, not once per report.
		let twin_id = T::Registry::twin_of(&who).ok_or(Error::<T>::NotANode)?;
		let node_id = T::Registry::node_of_twin(twin_id).ok_or(Error::<T>::NotANode)?;
		let node = T::Registry::node(node_id).ok_or(Error::<T>::NotANode)?;
		let policy = T::Registry::pricing_policy(node.pricing_policy_id)
			.ok_or(Error::<T>::PricingPolicyNotExists)?;
		let rented = ActiveRentContractForNode::<T>::contains_key(node_id);
		let now_secs = T::Time::now().as_secs();

		let count = u32::try_from(reports.len()).unwrap_or(MAX_REPORTS);
		let mut weight = T::WeightInfo::report_consumption(count);
		for report in reports {
			let contract_id = report.contract_id;
			let key = Contracts::<T>::hashed_key_for(contract_id);
			// No record: only the read every report pays. A record that is not one of the
			// node's own node contracts: charged as the largest.
			let read = frame_support::storage::unhashed::get_raw(&key)
				.ok_or(Shape::default())
				.and_then(|raw| ReportedRecord::<T>::read(raw, node_id).ok_or(Shape::LARGEST));
			let shape = match &read {
				Ok(record) => record.shape,
				Err(shape) => *shape,
			};
			weight = weight.saturating_add(Self::report_record_weight(shape));
			let accrued = read.map_err(|_| ReportRejection::NotANodeContractOfThisNode).and_then(
				|mut record| {
					let accrued = Self::accrue_report(
						&mut record.billing,
						&record.capacity,
						node.certified,
						rented,
						&policy.prices,
						now_secs,
						&report,
					)?;
					frame_support::storage::unhashed::put_raw(&key, &record.into_encoded());
					Ok(accrued)
				},
			);
			match accrued {
				Ok((window_secs, cost)) => Self::deposit_event(Event::ConsumptionReportReceived {
					contract_id,
					timestamp: report.timestamp,
					window_secs,
					cost_scaled_uusd: cost,
				}),
				Err(reason) => {
					// A refused report's record is read, never written.
					weight = weight.saturating_sub(T::DbWeight::get().writes(1));
					Self::deposit_event(Event::ConsumptionReportRejected { contract_id, reason })
				}
			}
		}
		Ok(weight)
	}

	/// What a report costs beyond its benchmark (`report_consumption`, on records with no data
	/// and no IPs) for the record it reads, walks over and writes.
	pub(crate) fn report_record_weight(shape: Shape) -> Weight {
		let data = shape.data.min(MAX_DEPLOYMENT_DATA_LEN);
		let ips = shape.ips.min(pallet_registry::MAX_FARM_IPS);
		T::WeightInfo::report_consumption_record(data, ips)
			.saturating_sub(T::WeightInfo::report_consumption_record(0, 0))
	}

	/// The weight `report_consumption` is charged before it runs: `count` reports, each on the
	/// largest record a contract can have (8 KiB of data, 256 IPs), the charge a report on a
	/// record that is not the node's own keeps.
	pub(crate) fn report_consumption_max_weight(count: u32) -> Weight {
		T::WeightInfo::report_consumption(count)
			.saturating_add(Self::report_record_weight(Shape::LARGEST).saturating_mul(count.into()))
	}

	/// Check one report against its contract's declared capacity and billing record, and accrue its
	/// window's cost to the record; returns the window and its cost.
	fn accrue_report(
		info: &mut BillingInfoOf<T>,
		capacity: &gridchain_primitives::Resources,
		certified: bool,
		rented: bool,
		prices: &gridchain_primitives::UnitPrices,
		now_secs: u64,
		report: &Consumption,
	) -> Result<(u64, gridchain_primitives::ScaledCost), ReportRejection> {
		let BillingKind::Node { used, hourly_capacity_cost, last_report_secs, ever_deployed } =
			&mut info.kind
		else {
			return Err(ReportRejection::NotANodeContractOfThisNode);
		};
		if !*ever_deployed {
			return Err(ReportRejection::NeverDeployed);
		}
		if report.timestamp <= *last_report_secs {
			return Err(ReportRejection::TimestampNotAfterPrevious);
		}
		if report.timestamp > now_secs.saturating_add(MAX_REPORT_AHEAD_SECS) {
			return Err(ReportRejection::TimestampInFuture);
		}
		let usage = report.resources();
		// What the owner declared, not what the node has: nru (traffic) alone is uncapped.
		if !capacity.covers(&usage) {
			return Err(ReportRejection::ExceedsContractCapacity);
		}

		// A node that went silent is not believed for the whole gap.
		let window_secs =
			report.timestamp.saturating_sub(*last_report_secs).min(MAX_REPORT_WINDOW_SECS);
		// IPs are charged by chain time at settlement, not per report.
		let cost =
			node_contract_cost(prices, &usage, report.nru, 0, window_secs, certified, rented);
		*used = usage;
		*hourly_capacity_cost =
			if rented { 0 } else { capacity_cost(prices, &usage, SECS_PER_HOUR, certified) };
		*last_report_secs = report.timestamp;
		info.accrued = info.accrued.saturating_add(cost);
		Ok((window_secs, cost))
	}
}

/// A node contract's record as a report reads it: the declared capacity the report is checked
/// against and the billing record it accrues to, found by walking the record's encoding without
/// decoding (or allocating) its deployment data and IPs.
///
/// `billing` is the last field of [`Contract`], so writing the record back is its bytes up to
/// `billing_at`, unchanged, followed by the new billing record: the same bytes as decoding the
/// whole record, changing its billing and encoding it again
/// (`tests_billing::a_report_rewrites_only_the_billing_record_of_its_contract`).
pub(crate) struct ReportedRecord<T: Config> {
	raw: Vec<u8>,
	billing_at: usize,
	pub(crate) capacity: gridchain_primitives::Resources,
	pub(crate) billing: BillingInfoOf<T>,
	/// The deployment data and IPs walked over, for the report's weight.
	pub(crate) shape: Shape,
}

/// The index of `ContractType::Node` in the encoding.
pub(crate) const NODE_CONTRACT_VARIANT: u8 = 0;

impl<T: Config> ReportedRecord<T> {
	/// Walk `raw`, a `Contracts` value, for a report of node `node_id`: `None` for a record that
	/// is not one of that node's node contracts (as soon as its first 21 bytes say so for another
	/// node's or another type's contract) or that does not decode.
	pub(crate) fn read(raw: Vec<u8>, node_id: NodeId) -> Option<Self> {
		let (billing_at, capacity, billing, shape) = Self::walk(&raw, node_id)?;
		Some(Self { raw, billing_at, capacity, billing, shape })
	}

	/// The record's bytes with the (changed) billing record in place of the one read.
	pub(crate) fn into_encoded(mut self) -> Vec<u8> {
		self.raw.truncate(self.billing_at);
		self.billing.encode_to(&mut self.raw);
		self.raw
	}

	/// `Contract`'s fields in their order, of a `ContractType::Node`'s `NodeContract`.
	fn walk(
		raw: &[u8],
		node_id: NodeId,
	) -> Option<(usize, gridchain_primitives::Resources, BillingInfoOf<T>, Shape)> {
		let input = &mut &raw[..];
		u32::decode(input).ok()?; // version
		ContractId::decode(input).ok()?;
		TwinId::decode(input).ok()?;
		if u8::decode(input).ok()? != NODE_CONTRACT_VARIANT {
			return None;
		}
		if NodeId::decode(input).ok()? != node_id {
			return None;
		}
		skip(input, core::mem::size_of::<DeploymentHash>())?;
		let data = skip_bytes(input)?;
		u32::decode(input).ok()?; // public_ips
		let ips = Compact::<u32>::decode(input).ok()?.0;
		for _ in 0..ips {
			skip_bytes(input)?; // ip
			skip_bytes(input)?; // gateway
		}
		let capacity = gridchain_primitives::Resources::decode(input).ok()?;
		ContractState::<BlockNumberFor<T>>::decode(input).ok()?;
		let billing_at = raw.len().checked_sub(input.len())?;
		let billing = BillingInfoOf::<T>::decode(input).ok()?;
		if !input.is_empty() {
			return None;
		}
		Some((billing_at, capacity, billing, Shape { data, ips, rent: false }))
	}
}

/// Step over `n` bytes of `input`.
fn skip(input: &mut &[u8], n: usize) -> Option<()> {
	*input = input.get(n..)?;
	Some(())
}

/// Step over an encoded byte vector of `input`; returns its length.
fn skip_bytes(input: &mut &[u8]) -> Option<u32> {
	let len = Compact::<u32>::decode(input).ok()?.0;
	skip(input, usize::try_from(len).ok()?)?;
	Some(len)
}

impl<T: Config> pallet_registry::NodeUsage for Pallet<T> {
	/// The sum of what the node's live node contracts declare (SPEC §4.5): one read.
	fn used_resources(node_id: NodeId) -> gridchain_primitives::Resources {
		NodeDeclared::<T>::get(node_id).capacity
	}
}
