//! What a deployment costs before it is sent (SPEC §5): the chain's own formulas, from
//! `gridchain-primitives`, on what the chain holds now. The dashboard shows the same figures
//! (`web/src/pricing.ts`); both are checked against `primitives/testdata/prices.json`.

use crate::{chain, deployment::Capacity, Client, Error, Resources, Result, TftPriceInfo};
use gridchain_primitives::{
	cost::{capacity_cost, public_ip_cost, ScaledCost, SECS_PER_HOUR},
	tft::{clamp_price, tft_due, HOURS_PER_MONTH},
};
pub use gridchain_primitives::{DiscountLevel, UnitPrices};

/// What a node contract would cost: an hour and a month of the capacity and public IPs its
/// document declares, at the TFT price billing converts with now, with and without the discount
/// its owner's free balance earns. Traffic (NU) comes on top, billed as the node reports it.
///
/// Amounts are in TFT units (10^-7 TFT); a month is [`HOURS_PER_MONTH`] (720) hours, the month
/// billing projects a contract's cost over to choose its discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Quote {
	pub node_id: u32,
	/// What the contract declares.
	pub capacity: Resources,
	/// Public IPs it reserves.
	pub public_ips: u32,
	/// A certified node's capacity costs 25 % more.
	pub certified: bool,
	/// The pricing policy of the node's farm.
	pub pricing_policy_id: u32,
	/// mUSD per TFT: the oracle's average clamped to its bounds, as billing converts.
	pub price_musd: u32,
	/// An hour's cost in uUSD × [`gridchain_primitives::COST_SCALE`].
	pub hourly_cost_scaled: ScaledCost,
	/// An hour, undiscounted.
	pub hourly_units_undiscounted: u128,
	/// A month, undiscounted: what billing weighs the owner's balance against.
	pub monthly_units_undiscounted: u128,
	/// The owner's free balance.
	pub free_balance: u128,
	/// The level that balance earns: it lasts that many months at the undiscounted rate.
	pub discount_level: DiscountLevel,
	/// The share of the price paid at that level, in percent.
	pub pays_percent: u8,
	/// An hour at that level.
	pub hourly_units: u128,
	/// A month at that level.
	pub monthly_units: u128,
}

/// What a quote is computed from, as the chain holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteBasis {
	pub node_id: u32,
	pub certified: bool,
	pub pricing_policy_id: u32,
	pub prices: UnitPrices,
	pub tft_price: TftPriceInfo,
	/// The free balance of the account that pays.
	pub free_balance: u128,
}

impl Quote {
	/// Price `capacity` on `basis`, as billing does (SPEC §5.3, §5.4): the hourly cost converted
	/// once and rounded, the discount judged on 720 hours of it.
	///
	/// ```
	/// use gridchain_sdk::{deployment::Capacity, DiscountLevel, Quote, QuoteBasis, TftPriceInfo, UnitPrices};
	/// const GIB: u64 = 1 << 30;
	/// let price = TftPriceInfo { price_musd: 50, average_musd: 50, min_musd: 10, max_musd: 1000 };
	/// let (prices, free_balance) = (UnitPrices::GENESIS, 1_000_000 * gridchain_sdk::UNITS_PER_TFT);
	/// let basis = QuoteBasis { node_id: 1, certified: false, pricing_policy_id: 1, prices,
	///     tft_price: price, free_balance };
	/// // SPEC's worked example: 2 vCPU, 4 GiB, 50 GiB SSD and a public IP.
	/// let capacity = Capacity { cru: 2, mru: 4 * GIB, sru: 50 * GIB, hru: 0, public_ips: 1 };
	/// let quote = Quote::compute(&capacity, &basis);
	/// assert_eq!(quote.hourly_units_undiscounted, 8_472_000); // 0.8472 TFT
	/// assert_eq!((quote.discount_level, quote.hourly_units), (DiscountLevel::Gold, 3_388_800));
	/// ```
	pub fn compute(capacity: &Capacity, basis: &QuoteBasis) -> Quote {
		let used = resources(capacity);
		let hour = SECS_PER_HOUR;
		let prices = &basis.prices;
		let hourly_cost_scaled = capacity_cost(prices, &used, hour, basis.certified)
			.saturating_add(public_ip_cost(prices, capacity.public_ips, hour));
		let price = basis.tft_price;
		let price_musd = clamp_price(price.average_musd, price.min_musd, price.max_musd);
		let hourly_units_undiscounted = tft_due(hourly_cost_scaled, price_musd, 100);
		let monthly_units_undiscounted = hourly_units_undiscounted.saturating_mul(HOURS_PER_MONTH);
		let discount_level =
			DiscountLevel::for_balance(basis.free_balance, monthly_units_undiscounted);
		let hourly_units = tft_due(hourly_cost_scaled, price_musd, discount_level.pays_percent());
		Quote {
			node_id: basis.node_id,
			capacity: Resources::from(*capacity),
			public_ips: capacity.public_ips,
			certified: basis.certified,
			pricing_policy_id: basis.pricing_policy_id,
			price_musd,
			hourly_cost_scaled,
			hourly_units_undiscounted,
			monthly_units_undiscounted,
			free_balance: basis.free_balance,
			discount_level,
			pays_percent: discount_level.pays_percent() as u8,
			hourly_units,
			monthly_units: hourly_units.saturating_mul(HOURS_PER_MONTH),
		}
	}
}

/// A capacity's resources as the cost formulas take them: its IPs are priced apart.
fn resources(capacity: &Capacity) -> gridchain_primitives::Resources {
	gridchain_primitives::Resources {
		cru: capacity.cru,
		sru: capacity.sru,
		hru: capacity.hru,
		mru: capacity.mru,
	}
}

impl Client {
	/// What `doc` would cost as a node contract on node `node_id` ([`Quote`]), at the prices,
	/// the TFT price and the balance of the document's owner twin the chain holds now.
	pub async fn quote(&self, node_id: u32, doc: &crate::deployment::Deployment) -> Result<Quote> {
		let node = self.node(node_id).await?;
		let pricing_policy_id = self.farm(node.farm_id).await?.pricing_policy_id;
		let owner = self.twin_account(doc.twin_id).await?;
		let basis = QuoteBasis {
			node_id,
			certified: node.certified,
			pricing_policy_id,
			prices: self.unit_prices(pricing_policy_id).await?,
			tft_price: self.tft_price().await?,
			free_balance: self.balance(&owner).await?.free,
		};
		Ok(Quote::compute(&doc.capacity(), &basis))
	}

	/// The unit prices of pricing policy `policy_id`.
	pub async fn unit_prices(&self, policy_id: u32) -> Result<UnitPrices> {
		let at = self.at().await?;
		let value = at
			.storage()
			.try_fetch(chain::storage().registry().pricing_policies(), (policy_id,))
			.await?;
		let policy = value
			.ok_or(Error::NotFound { what: "pricing policy", id: policy_id.to_string() })?
			.decode()?;
		Ok(UnitPrices {
			cu: policy.cu,
			su: policy.su,
			nu: policy.nu,
			ipu: policy.ipu,
			unique_name: policy.unique_name,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use gridchain_primitives::resources::{cu_scaled, su_scaled};
	use serde_json::{json, Value};

	const GIB: u64 = 1 << 30;

	fn basis(
		prices: UnitPrices,
		certified: bool,
		price: (u32, u32, u32),
		free: u128,
	) -> QuoteBasis {
		let (average_musd, min_musd, max_musd) = price;
		QuoteBasis {
			node_id: 1,
			certified,
			pricing_policy_id: 1,
			prices,
			tft_price: TftPriceInfo { price_musd: average_musd, average_musd, min_musd, max_musd },
			free_balance: free,
		}
	}

	/// `web/test/pricing.test.ts` holds `web/src/pricing.ts` to these vectors: a quote here equal
	/// to each of them is the page's quote.
	#[test]
	fn quotes_equal_the_price_vectors_the_page_is_held_to() {
		let vectors: Value =
			serde_json::from_str(include_str!("../../primitives/testdata/prices.json"))
				.expect("the vectors are JSON");
		let cases = vectors["cases"].as_array().expect("cases");
		assert_eq!(cases.len(), 6);
		let int = |v: &Value| v.as_u64().expect("an integer");
		let big = |v: &Value| v.as_str().expect("a decimal string").parse::<u128>().expect("u128");
		fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> T {
			serde_json::from_value(v.clone()).expect("as the crate writes it")
		}
		for case in cases {
			let i = &case["input"];
			let r: gridchain_primitives::Resources = parse(&i["resources"]);
			let public_ips = int(&i["public_ips"]) as u32;
			let capacity = Capacity { cru: r.cru, mru: r.mru, sru: r.sru, hru: r.hru, public_ips };
			let prices: UnitPrices = parse(&i["prices"]);
			let price = (
				int(&i["average_musd"]) as u32,
				int(&i["min_musd"]) as u32,
				int(&i["max_musd"]) as u32,
			);
			let certified = i["certified"].as_bool().expect("certified");
			let basis = basis(prices, certified, price, big(&i["free_balance"]));
			let q = Quote::compute(&capacity, &basis);
			let got = json!({
				"cu_scaled": cu_scaled(&r).to_string(),
				"su_scaled": su_scaled(&r).to_string(),
				"price_musd": q.price_musd,
				"hourly_cost_scaled": q.hourly_cost_scaled.to_string(),
				"hourly_units_undiscounted": q.hourly_units_undiscounted.to_string(),
				// The vectors' monthly figure is the one the discount is judged on.
				"monthly_units": q.monthly_units_undiscounted.to_string(),
				"discount_level": q.discount_level,
				"pays_percent": q.pays_percent,
				"hourly_units": q.hourly_units.to_string(),
			});
			assert_eq!(got, case["expect"], "case {}", case["name"]);
			assert_eq!(q.monthly_units, q.hourly_units * 720, "case {}", case["name"]);
		}
	}

	/// The figure `web/e2e/dashboard.mjs` reads on the page, and `grid contract quote` prints in
	/// `cli/tests/grid.rs`.
	#[test]
	fn one_vcpu_1_gib_12_gib_ssd_and_an_ip_cost_a_gold_owner_0_1870912_tft_an_hour() {
		let capacity = Capacity { cru: 1, mru: GIB, sru: 12 * GIB, hru: 0, public_ips: 1 };
		let million_tft = 1_000_000 * crate::UNITS_PER_TFT;
		let q = Quote::compute(
			&capacity,
			&basis(UnitPrices::GENESIS, false, (50, 10, 1000), million_tft),
		);
		// CU 0.5 · 305,600 + SU 0.06 · 194,400 + 1 IP · 69,400 = 233,864 uUSD an hour.
		assert_eq!(q.hourly_cost_scaled, 233_864 * gridchain_primitives::COST_SCALE);
		// · 1000 / 50 mUSD = 4,677,280 units; 720 hours of it, 336.76416 TFT, last 1,000,000
		// TFT 2,969 months: Gold, 40 % paid.
		assert_eq!(q.hourly_units_undiscounted, 4_677_280);
		assert_eq!(q.monthly_units_undiscounted, 3_367_641_600);
		assert_eq!((q.discount_level, q.pays_percent), (DiscountLevel::Gold, 40));
		assert_eq!(q.hourly_units, 1_870_912);
		assert_eq!(q.monthly_units, 1_347_056_640);
	}

	#[test]
	fn a_quote_prints_its_level_as_the_chain_names_it() {
		let q = Quote::compute(
			&Capacity { cru: 1, mru: GIB, ..Capacity::ZERO },
			&basis(UnitPrices::GENESIS, false, (50, 10, 1000), 0),
		);
		let printed = serde_json::to_value(q).expect("JSON");
		assert_eq!(printed["discount_level"], "None");
		assert_eq!(printed["capacity"]["mru"], GIB);
	}
}
