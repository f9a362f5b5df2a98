//! The cost of a billing window, in uUSD (SPEC §5.3).
//!
//! Costs are [`ScaledCost`]: uUSD × [`COST_SCALE`]. A window's cost is floored to that
//! sub-uUSD precision (an error below 10^-9 uUSD per window); the rounding to a TFT unit happens
//! once, at settlement ([`crate::tft::tft_due`]).

use crate::resources::{
	cu_scaled, su_scaled, Resources, CU_DENOMINATOR, NU_DENOMINATOR, SU_DENOMINATOR,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// A cost in uUSD (10^-7 USD) multiplied by [`COST_SCALE`].
pub type ScaledCost = u128;

/// Fixed-point scale of [`ScaledCost`].
pub const COST_SCALE: u128 = 1_000_000_000;

/// Seconds in an hour: prices are per hour.
pub const SECS_PER_HOUR: u64 = 3600;

/// Surcharge on the capacity (CU and SU) of a certified node, in percent.
pub const CERTIFIED_SURCHARGE_PERCENT: u128 = 25;

/// The prices of a pricing policy, each in uUSD.
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
	serde::Serialize,
	serde::Deserialize,
)]
pub struct UnitPrices {
	/// Per CU per hour.
	pub cu: u64,
	/// Per SU per hour.
	pub su: u64,
	/// Per NU (10^9 bytes of traffic).
	pub nu: u64,
	/// Per public IP per hour.
	pub ipu: u64,
	/// Per name contract per hour.
	pub unique_name: u64,
}

impl UnitPrices {
	/// The genesis pricing policy of SPEC §5.1.
	pub const GENESIS: UnitPrices =
		UnitPrices { cu: 305_600, su: 194_400, nu: 50_000, ipu: 69_400, unique_name: 13_900 };
}

/// `numerator / denominator` in [`ScaledCost`], floored, saturating on overflow.
fn scaled(numerator: u128, denominator: u128) -> ScaledCost {
	numerator.saturating_mul(COST_SCALE).checked_div(denominator).unwrap_or(0)
}

/// `(CU·cu + SU·su) · window_secs / 3600`: the capacity part of a window.
///
/// With `certified`, the capacity costs [`CERTIFIED_SURCHARGE_PERCENT`] more.
pub fn capacity_cost(
	prices: &UnitPrices,
	used: &Resources,
	window_secs: u64,
	certified: bool,
) -> ScaledCost {
	let w = window_secs as u128;
	let cu = scaled(
		cu_scaled(used).saturating_mul(prices.cu as u128).saturating_mul(w),
		CU_DENOMINATOR * u128::from(SECS_PER_HOUR),
	);
	let su = scaled(
		su_scaled(used).saturating_mul(prices.su as u128).saturating_mul(w),
		SU_DENOMINATOR * u128::from(SECS_PER_HOUR),
	);
	let cost = cu.saturating_add(su);
	if certified {
		cost.saturating_mul(100 + CERTIFIED_SURCHARGE_PERCENT) / 100
	} else {
		cost
	}
}

/// `NU · nu`: the traffic part of a report, `nru` in bytes.
pub fn network_cost(prices: &UnitPrices, nru: u64) -> ScaledCost {
	scaled((nru as u128).saturating_mul(prices.nu as u128), NU_DENOMINATOR)
}

/// `ips · ipu · window_secs / 3600`: the public IP part of a window.
pub fn public_ip_cost(prices: &UnitPrices, public_ips: u32, window_secs: u64) -> ScaledCost {
	scaled(
		(public_ips as u128).saturating_mul(prices.ipu as u128).saturating_mul(window_secs as u128),
		u128::from(SECS_PER_HOUR),
	)
}

/// `unique_name · window_secs / 3600`: a name contract's window.
pub fn name_cost(prices: &UnitPrices, window_secs: u64) -> ScaledCost {
	scaled(
		(prices.unique_name as u128).saturating_mul(window_secs as u128),
		u128::from(SECS_PER_HOUR),
	)
}

/// A rent contract's window: the node's full capacity at `discount_percent` off.
pub fn rent_cost(
	prices: &UnitPrices,
	node_capacity: &Resources,
	window_secs: u64,
	certified: bool,
	discount_percent: u8,
) -> ScaledCost {
	let pays = 100u128.saturating_sub(discount_percent.min(100) as u128);
	capacity_cost(prices, node_capacity, window_secs, certified).saturating_mul(pays) / 100
}

/// The cost of one window of a node contract (SPEC §5.3).
///
/// On a rented node the renter pays the capacity, so only traffic and IPs are charged here.
///
/// ```
/// use gridchain_primitives::cost::{node_contract_cost, UnitPrices, COST_SCALE};
/// use gridchain_primitives::{Resources, GIB};
/// let used = Resources { cru: 2, mru: 4 * GIB, sru: 50 * GIB, hru: 0 };
/// // 1 CU + 0.25 SU + 1 IP for an hour, no traffic.
/// let cost = node_contract_cost(&UnitPrices::GENESIS, &used, 0, 1, 3600, false, false);
/// assert_eq!(cost, (305_600 + 48_600 + 69_400) * COST_SCALE);
/// ```
pub fn node_contract_cost(
	prices: &UnitPrices,
	used: &Resources,
	nru: u64,
	public_ips: u32,
	window_secs: u64,
	certified: bool,
	rented: bool,
) -> ScaledCost {
	let capacity = if rented { 0 } else { capacity_cost(prices, used, window_secs, certified) };
	capacity.saturating_add(network_cost(prices, nru)).saturating_add(public_ip_cost(
		prices,
		public_ips,
		window_secs,
	))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::GIB;

	const P: UnitPrices = UnitPrices::GENESIS;

	fn worked_example() -> Resources {
		Resources { cru: 2, mru: 4 * GIB, sru: 50 * GIB, hru: 0 }
	}

	#[test]
	fn an_hour_of_one_cu_costs_the_cu_price() {
		let r = Resources { cru: 2, mru: 4 * GIB, ..Default::default() };
		assert_eq!(capacity_cost(&P, &r, 3600, false), 305_600 * COST_SCALE);
	}

	#[test]
	fn capacity_is_prorated_by_the_window() {
		let r = worked_example();
		let hour = capacity_cost(&P, &r, 3600, false);
		assert_eq!(capacity_cost(&P, &r, 1800, false), hour / 2);
		assert_eq!(capacity_cost(&P, &r, 0, false), 0);
	}

	#[test]
	fn certified_capacity_costs_a_quarter_more() {
		let r = worked_example();
		let diy = capacity_cost(&P, &r, 3600, false);
		assert_eq!(capacity_cost(&P, &r, 3600, true), diy * 125 / 100);
	}

	#[test]
	fn one_gb_of_traffic_costs_one_nu() {
		assert_eq!(network_cost(&P, 1_000_000_000), 50_000 * COST_SCALE);
		assert_eq!(network_cost(&P, 500_000_000), 25_000 * COST_SCALE);
	}

	#[test]
	fn an_ip_costs_ipu_per_hour() {
		assert_eq!(public_ip_cost(&P, 2, 3600), 2 * 69_400 * COST_SCALE);
		assert_eq!(public_ip_cost(&P, 1, 60), 69_400 * COST_SCALE / 60);
	}

	#[test]
	fn name_contract_costs_unique_name_per_hour() {
		assert_eq!(name_cost(&P, 3600), 13_900 * COST_SCALE);
	}

	#[test]
	fn worked_example_costs_423_600_uusd_for_an_hour() {
		// CU 1 · 305,600 + SU 0.25 · 194,400 + 1 IP · 69,400 = 423,600 uUSD
		let cost = node_contract_cost(&P, &worked_example(), 0, 1, 3600, false, false);
		assert_eq!(cost, 423_600 * COST_SCALE);
		// with 1 GB of traffic
		let cost = node_contract_cost(&P, &worked_example(), 1_000_000_000, 1, 3600, false, false);
		assert_eq!(cost, 473_600 * COST_SCALE);
	}

	#[test]
	fn a_rented_node_charges_only_traffic_and_ips() {
		let cost = node_contract_cost(&P, &worked_example(), 1_000_000_000, 1, 3600, false, true);
		assert_eq!(cost, (50_000 + 69_400) * COST_SCALE);
	}

	#[test]
	fn rent_contract_pays_capacity_at_the_dedicated_discount() {
		let node = Resources { cru: 16, mru: 16 * GIB, sru: 200 * GIB, hru: 1200 * GIB };
		// CU 8, SU 2
		let full = (8 * 305_600 + 2 * 194_400) * COST_SCALE;
		assert_eq!(capacity_cost(&P, &node, 3600, false), full);
		assert_eq!(rent_cost(&P, &node, 3600, false, 50), full / 2);
	}
}
