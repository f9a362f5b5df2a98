//! From uUSD to TFT: price, discount and the split of a payment (SPEC §5.4, §5.5).

use crate::cost::{ScaledCost, COST_SCALE};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// An amount of TFT in its smallest unit.
pub type Balance = u128;

/// TFT has 7 decimals.
pub const UNITS_PER_TFT: Balance = 10_000_000;

/// Hours in the month used to project a contract's monthly cost.
pub const HOURS_PER_MONTH: u128 = 720;

/// How long the owner's balance lasts at a contract's current rate, and what share it pays.
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
pub enum DiscountLevel {
	/// Less than 1.5 months: pays 100 %.
	#[default]
	None,
	/// [1.5, 3) months: pays 80 %.
	Default,
	/// [3, 6) months: pays 70 %.
	Bronze,
	/// [6, 18) months: pays 60 %.
	Silver,
	/// 18 months or more: pays 40 %.
	Gold,
}

impl DiscountLevel {
	/// The share of the price paid at this level, in percent.
	pub fn pays_percent(self) -> u128 {
		match self {
			DiscountLevel::None => 100,
			DiscountLevel::Default => 80,
			DiscountLevel::Bronze => 70,
			DiscountLevel::Silver => 60,
			DiscountLevel::Gold => 40,
		}
	}

	/// The level for an owner holding `free_balance` against a contract costing `monthly_cost`
	/// (both in TFT units). Months are compared in halves, exactly, without division.
	///
	/// ```
	/// use gridchain_primitives::DiscountLevel;
	/// assert_eq!(DiscountLevel::for_balance(150, 100), DiscountLevel::Default);
	/// assert_eq!(DiscountLevel::for_balance(149, 100), DiscountLevel::None);
	/// ```
	pub fn for_balance(free_balance: Balance, monthly_cost: Balance) -> DiscountLevel {
		if monthly_cost == 0 {
			return DiscountLevel::Gold;
		}
		// months = free / monthly; compare 2·free against 2·months·monthly.
		let twice_free = free_balance.saturating_mul(2);
		let at = |half_months: u128| monthly_cost.saturating_mul(half_months);
		if twice_free >= at(36) {
			DiscountLevel::Gold
		} else if twice_free >= at(12) {
			DiscountLevel::Silver
		} else if twice_free >= at(6) {
			DiscountLevel::Bronze
		} else if twice_free >= at(3) {
			DiscountLevel::Default
		} else {
			DiscountLevel::None
		}
	}
}

/// Clamp the oracle's average price (mUSD per TFT) into the configured bounds.
pub fn clamp_price(average_musd: u32, min_musd: u32, max_musd: u32) -> u32 {
	average_musd.max(min_musd).min(max_musd.max(min_musd))
}

/// TFT units due for `cost` at `price_musd`, after paying `pays_percent`, rounded to the nearest
/// unit (halves round up). `units = cost_uUSD · 1000 / price · pays / 100`.
///
/// A zero price charges nothing rather than dividing by zero; the runtime's price bounds keep
/// the price above zero.
///
/// ```
/// use gridchain_primitives::{tft::tft_due, COST_SCALE};
/// // 423,600 uUSD at 50 mUSD/TFT is 0.8472 TFT.
/// assert_eq!(tft_due(423_600 * COST_SCALE, 50, 100), 8_472_000);
/// ```
pub fn tft_due(cost: ScaledCost, price_musd: u32, pays_percent: u128) -> Balance {
	let denominator = COST_SCALE.saturating_mul(price_musd as u128).saturating_mul(100);
	if denominator == 0 {
		return 0;
	}
	let numerator = cost.saturating_mul(1000).saturating_mul(pays_percent);
	numerator.saturating_add(denominator / 2) / denominator
}

/// Where a settled amount goes (SPEC §5.5).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Distribution {
	/// 10 % to the pricing policy's foundation account.
	pub foundation: Balance,
	/// 5 % to the staking pool.
	pub staking_pool: Balance,
	/// 50 % to the pricing policy's sales account.
	pub sales: Balance,
	/// The rest, 35 %, burned. Taking the remainder keeps the split exact.
	pub burned: Balance,
}

impl Distribution {
	/// Split `amount`. The four parts always add up to `amount`.
	///
	/// ```
	/// use gridchain_primitives::tft::Distribution;
	/// let d = Distribution::of(1000);
	/// assert_eq!((d.foundation, d.staking_pool, d.sales, d.burned), (100, 50, 500, 350));
	/// ```
	pub fn of(amount: Balance) -> Distribution {
		let foundation = amount / 10;
		let staking_pool = amount / 20;
		let sales = amount / 2;
		let burned =
			amount.saturating_sub(foundation).saturating_sub(staking_pool).saturating_sub(sales);
		Distribution { foundation, staking_pool, sales, burned }
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::cost::{node_contract_cost, UnitPrices};
	use crate::{Resources, GIB};
	use proptest::prelude::*;

	#[test]
	fn discount_boundary_at_one_and_a_half_months() {
		assert_eq!(DiscountLevel::for_balance(1_499, 1_000), DiscountLevel::None);
		assert_eq!(DiscountLevel::for_balance(1_500, 1_000), DiscountLevel::Default);
	}

	#[test]
	fn discount_boundary_at_three_months() {
		assert_eq!(DiscountLevel::for_balance(2_999, 1_000), DiscountLevel::Default);
		assert_eq!(DiscountLevel::for_balance(3_000, 1_000), DiscountLevel::Bronze);
	}

	#[test]
	fn discount_boundary_at_six_months() {
		assert_eq!(DiscountLevel::for_balance(5_999, 1_000), DiscountLevel::Bronze);
		assert_eq!(DiscountLevel::for_balance(6_000, 1_000), DiscountLevel::Silver);
	}

	#[test]
	fn discount_boundary_at_eighteen_months() {
		assert_eq!(DiscountLevel::for_balance(17_999, 1_000), DiscountLevel::Silver);
		assert_eq!(DiscountLevel::for_balance(18_000, 1_000), DiscountLevel::Gold);
	}

	#[test]
	fn levels_pay_their_share() {
		let shares: [u128; 5] = [
			DiscountLevel::None.pays_percent(),
			DiscountLevel::Default.pays_percent(),
			DiscountLevel::Bronze.pays_percent(),
			DiscountLevel::Silver.pays_percent(),
			DiscountLevel::Gold.pays_percent(),
		];
		assert_eq!(shares, [100, 80, 70, 60, 40]);
	}

	#[test]
	fn price_is_clamped_to_bounds() {
		assert_eq!(clamp_price(5, 10, 1000), 10);
		assert_eq!(clamp_price(50, 10, 1000), 50);
		assert_eq!(clamp_price(5000, 10, 1000), 1000);
	}

	#[test]
	fn conversion_rounds_to_nearest_unit_once() {
		// 1 uUSD at 3 mUSD/TFT = 333.33 units
		assert_eq!(tft_due(COST_SCALE, 3, 100), 333);
		// 2 uUSD at 3 mUSD/TFT = 666.67 units
		assert_eq!(tft_due(2 * COST_SCALE, 3, 100), 667);
		// a half rounds up: 0.0005 uUSD -> 0.5 units at 1 mUSD/TFT
		assert_eq!(tft_due(COST_SCALE / 2000, 1, 100), 1);
		assert_eq!(tft_due(COST_SCALE, 0, 100), 0);
	}

	/// SPEC's worked example: one hour of cru 2, mru 4 GiB, sru 50 GiB and one public IP, with
	/// the genesis policy, at 50 mUSD/TFT.
	#[test]
	fn worked_example_one_hour_at_50_musd() {
		let used = Resources { cru: 2, mru: 4 * GIB, sru: 50 * GIB, hru: 0 };
		let cost = node_contract_cost(&UnitPrices::GENESIS, &used, 0, 1, 3600, false, false);
		assert_eq!(cost, 423_600 * COST_SCALE);
		// 423,600 uUSD · 1000 / 50 = 8,472,000 units = 0.8472 TFT
		assert_eq!(tft_due(cost, 50, 100), 8_472_000);
		// Projected monthly cost 720 h · 0.8472 TFT = 609.984 TFT.
		let monthly = tft_due(cost, 50, 100) * HOURS_PER_MONTH;
		assert_eq!(monthly, 6_099_840_000);
		// An owner with 1,000,000 TFT has 1,639 months: Gold, pays 40 %.
		let level = DiscountLevel::for_balance(1_000_000 * UNITS_PER_TFT, monthly);
		assert_eq!(level, DiscountLevel::Gold);
		assert_eq!(tft_due(cost, 50, level.pays_percent()), 3_388_800);
		// An owner with 1,000 TFT has 1.64 months: Default, pays 80 %.
		let level = DiscountLevel::for_balance(1_000 * UNITS_PER_TFT, monthly);
		assert_eq!(level, DiscountLevel::Default);
		assert_eq!(tft_due(cost, 50, level.pays_percent()), 6_777_600);
	}

	proptest! {
		#[test]
		fn distribution_conserves_the_amount(amount in 0u128..u64::MAX as u128) {
			let d = Distribution::of(amount);
			prop_assert_eq!(d.foundation + d.staking_pool + d.sales + d.burned, amount);
			prop_assert!(d.burned * 100 >= amount * 35);
		}

		#[test]
		fn discount_never_raises_the_price(cost in 0u128..1u128 << 80, price in 1u32..10_000) {
			let full = tft_due(cost, price, 100);
			for level in [DiscountLevel::Default, DiscountLevel::Bronze, DiscountLevel::Silver, DiscountLevel::Gold] {
				prop_assert!(tft_due(cost, price, level.pays_percent()) <= full);
			}
		}
	}
}
