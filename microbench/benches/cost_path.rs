//! Micro-benchmarks of the cost path (issue 12): what one consumption report and one settlement
//! compute, so that a slower formula shows up in review. `cargo bench -p gridchain-microbench`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use gridchain_primitives::{
	cost::{capacity_cost, node_contract_cost, public_ip_cost},
	tft::{clamp_price, tft_due, Distribution, HOURS_PER_MONTH},
	DiscountLevel, Resources, UnitPrices, GIB, UNITS_PER_TFT,
};

fn vm() -> Resources {
	Resources { cru: 4, mru: 16 * GIB, sru: 200 * GIB, hru: 2000 * GIB }
}

/// One report: the window's cost of the reported resources, traffic and IPs.
fn report_cost(c: &mut Criterion) {
	let prices = UnitPrices::GENESIS;
	c.bench_function("report: node_contract_cost of one window", |b| {
		b.iter(|| {
			node_contract_cost(
				black_box(&prices),
				black_box(&vm()),
				black_box(3_000_000_000),
				black_box(2),
				black_box(3600),
				black_box(true),
				black_box(false),
			)
		})
	});
}

/// One settlement: the hourly rate, the discount the balance earns, the TFT due and its split.
fn settlement(c: &mut Criterion) {
	let prices = UnitPrices::GENESIS;
	let accrued = node_contract_cost(&prices, &vm(), 3_000_000_000, 2, 600, false, false);
	c.bench_function("settlement: rate, discount, TFT due and split", |b| {
		b.iter(|| {
			let price = clamp_price(black_box(50), 10, 1000);
			let hourly = capacity_cost(&prices, black_box(&vm()), 3600, false)
				.saturating_add(public_ip_cost(&prices, 2, 3600));
			let monthly = tft_due(hourly, price, 100).saturating_mul(HOURS_PER_MONTH);
			let level = DiscountLevel::for_balance(black_box(250 * UNITS_PER_TFT), monthly);
			let due = tft_due(black_box(accrued), price, level.pays_percent());
			Distribution::of(due)
		})
	});
}

criterion_group!(benches, report_cost, settlement);
criterion_main!(benches);
