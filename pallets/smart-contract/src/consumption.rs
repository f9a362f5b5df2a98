//! Consumption reports (SPEC §6.1): each accepted report accrues its cost; nothing is paid here.

use crate::{billing::Shape, *};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, traits::UnixTime};
use gridchain_primitives::{
	cost::{capacity_cost, node_contract_cost, SECS_PER_HOUR},
	NodeId,
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
			let contract = Contracts::<T>::get(contract_id);
			let shape = contract.as_ref().map(Shape::of::<T>).unwrap_or_default();
			weight = weight.saturating_add(Self::report_record_weight(shape));
			let accrued =
				contract.ok_or(ReportRejection::NotANodeContractOfThisNode).and_then(|contract| {
					Self::accrue_report(
						contract,
						node_id,
						node.certified,
						rented,
						&policy.prices,
						now_secs,
						&report,
					)
				});
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
	/// and no IPs) for the record it reads, decodes, encodes and writes.
	pub(crate) fn report_record_weight(shape: Shape) -> Weight {
		let data = shape.data.min(MAX_DEPLOYMENT_DATA_LEN);
		let ips = shape.ips.min(pallet_registry::MAX_FARM_IPS);
		T::WeightInfo::report_consumption_record(data, ips)
			.saturating_sub(T::WeightInfo::report_consumption_record(0, 0))
	}

	/// The weight `report_consumption` is charged before it runs: `count` reports, each on the
	/// largest record a report can read (any contract's, not only the node's own: a report on
	/// another node's contract is refused only after its record is read).
	pub(crate) fn report_consumption_max_weight(count: u32) -> Weight {
		let largest = Shape {
			data: MAX_DEPLOYMENT_DATA_LEN,
			ips: pallet_registry::MAX_FARM_IPS,
			rent: false,
		};
		T::WeightInfo::report_consumption(count)
			.saturating_add(Self::report_record_weight(largest).saturating_mul(count.into()))
	}

	/// Check one report against its contract and accrue its window's cost; returns the window and
	/// its cost.
	fn accrue_report(
		mut contract: ContractOf<T>,
		node_id: NodeId,
		certified: bool,
		rented: bool,
		prices: &gridchain_primitives::UnitPrices,
		now_secs: u64,
		report: &Consumption,
	) -> Result<(u64, gridchain_primitives::ScaledCost), ReportRejection> {
		let capacity = match contract.node_contract() {
			Some(nc) if nc.node_id == node_id => nc.capacity,
			_ => return Err(ReportRejection::NotANodeContractOfThisNode),
		};
		let info = &mut contract.billing;
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
		Contracts::<T>::insert(report.contract_id, contract);
		Ok((window_secs, cost))
	}
}

impl<T: Config> pallet_registry::NodeUsage for Pallet<T> {
	/// The sum of what the node's live node contracts declare (SPEC §4.5): one read.
	fn used_resources(node_id: NodeId) -> gridchain_primitives::Resources {
		NodeDeclared::<T>::get(node_id).capacity
	}
}
