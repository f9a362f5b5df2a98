//! Golden vectors of a node contract's price (SPEC §5) for clients that show it before signing:
//! the web dashboard computes the same figures in TypeScript and checks them against
//! `primitives/testdata/prices.json`.
//!
//! `GRIDCHAIN_WRITE_VECTORS=1 cargo test -p gridchain-primitives --test price_vectors` rewrites
//! the file; without it, the test fails when the file differs from what this crate computes.

use gridchain_primitives::{
	cost::{capacity_cost, public_ip_cost},
	resources::{cu_scaled, su_scaled},
	tft::{clamp_price, tft_due, HOURS_PER_MONTH},
	Balance, DiscountLevel, Resources, UnitPrices, GIB, UNITS_PER_TFT,
};
use serde_json::{json, Value};

struct Case {
	name: &'static str,
	resources: Resources,
	public_ips: u32,
	certified: bool,
	prices: UnitPrices,
	/// The oracle's average, min and max, mUSD per TFT.
	price: (u32, u32, u32),
	free_balance: Balance,
}

fn cases() -> Vec<Case> {
	let genesis = UnitPrices::GENESIS;
	let vm = |cru, mru_gib, sru_gib, hru_gib| Resources {
		cru,
		mru: mru_gib * GIB,
		sru: sru_gib * GIB,
		hru: hru_gib * GIB,
	};
	let tft = |n: Balance| n * UNITS_PER_TFT;
	vec![
		Case {
			name: "spec_worked_example",
			resources: vm(2, 4, 50, 0),
			public_ips: 1,
			certified: false,
			prices: genesis,
			price: (50, 10, 1000),
			free_balance: tft(1_000_000),
		},
		Case {
			name: "small_vm_no_ip_poor_owner",
			resources: Resources { cru: 1, mru: 512 << 20, sru: GIB, hru: 0 },
			public_ips: 0,
			certified: false,
			prices: genesis,
			price: (50, 10, 1000),
			free_balance: 3,
		},
		Case {
			name: "certified_with_hdd_and_two_ips",
			resources: vm(8, 32, 200, 2400),
			public_ips: 2,
			certified: true,
			prices: genesis,
			price: (50, 10, 1000),
			free_balance: tft(200),
		},
		Case {
			name: "price_clamped_to_min",
			resources: vm(4, 8, 100, 0),
			public_ips: 1,
			certified: false,
			prices: genesis,
			price: (5, 20, 1000),
			free_balance: tft(50),
		},
		Case {
			name: "price_clamped_to_max_custom_policy",
			resources: vm(3, 5, 33, 7),
			public_ips: 3,
			certified: false,
			prices: UnitPrices { cu: 123_457, su: 98_765, nu: 1, ipu: 11_111, unique_name: 1 },
			price: (5000, 10, 777),
			free_balance: tft(10),
		},
		Case {
			name: "odd_sizes_round_half_up",
			resources: Resources { cru: 5, mru: 3 * GIB + 12345, sru: 17 * GIB + 999, hru: 1 },
			public_ips: 0,
			certified: true,
			prices: genesis,
			price: (37, 10, 1000),
			free_balance: tft(1),
		},
	]
}

/// What a client shows before signing: the hourly cost, the discount the owner's balance earns,
/// and the TFT an hour costs at that discount, as the billing hook computes them.
fn vector(case: &Case) -> Value {
	let price_musd = clamp_price(case.price.0, case.price.1, case.price.2);
	let hourly_cost = capacity_cost(&case.prices, &case.resources, 3600, case.certified)
		.saturating_add(public_ip_cost(&case.prices, case.public_ips, 3600));
	let monthly_units = tft_due(hourly_cost, price_musd, 100).saturating_mul(HOURS_PER_MONTH);
	let level = DiscountLevel::for_balance(case.free_balance, monthly_units);
	let r = &case.resources;
	json!({
		"name": case.name,
		"input": {
			"resources": {"cru": r.cru, "mru": r.mru, "sru": r.sru, "hru": r.hru},
			"public_ips": case.public_ips,
			"certified": case.certified,
			"prices": {"cu": case.prices.cu, "su": case.prices.su, "nu": case.prices.nu,
				"ipu": case.prices.ipu, "unique_name": case.prices.unique_name},
			"average_musd": case.price.0,
			"min_musd": case.price.1,
			"max_musd": case.price.2,
			"free_balance": case.free_balance.to_string(),
		},
		"expect": {
			"cu_scaled": cu_scaled(r).to_string(),
			"su_scaled": su_scaled(r).to_string(),
			"price_musd": price_musd,
			"hourly_cost_scaled": hourly_cost.to_string(),
			"hourly_units_undiscounted": tft_due(hourly_cost, price_musd, 100).to_string(),
			"monthly_units": monthly_units.to_string(),
			"discount_level": format!("{level:?}"),
			"pays_percent": level.pays_percent() as u64,
			"hourly_units": tft_due(hourly_cost, price_musd, level.pays_percent()).to_string(),
		}
	})
}

#[test]
fn price_vectors() {
	let all: Vec<Value> = cases().iter().map(vector).collect();
	let text = serde_json::to_string_pretty(&json!({
		"format": "gridchain-price-vectors/1",
		"cases": all,
	}))
	.expect("vectors serialise")
		+ "\n";
	// From the package's directory, where the tests run (test-support/README.md, "Test data").
	let path = "testdata/prices.json";
	if std::env::var_os("GRIDCHAIN_WRITE_VECTORS").is_some() {
		std::fs::write(path, &text).expect("write the vectors");
	}
	let stored = std::fs::read_to_string(path).expect("primitives/testdata/prices.json exists");
	assert_eq!(stored, text, "{path} differs from what the crate computes; see the test's doc");
}
