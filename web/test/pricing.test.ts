// The dashboard's price before signing against the Rust numbers (primitives/testdata/prices.json).
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { cuScaled, formatTft, hourlyPrice, suScaled } from '../src/pricing';

const vectors = JSON.parse(readFileSync(new URL('../../primitives/testdata/prices.json', import.meta.url), 'utf8'));
const big = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, BigInt(v)]));

for (const c of vectors.cases) {
  test(`${c.name}: the same hourly price as the chain's billing`, () => {
    const i = c.input;
    const resources = big(i.resources) as never;
    const got = hourlyPrice({
      prices: big(i.prices) as never, resources, publicIps: i.public_ips, certified: i.certified,
      averageMusd: i.average_musd, minMusd: i.min_musd, maxMusd: i.max_musd, freeBalance: BigInt(i.free_balance),
    });
    expect({
      cu_scaled: cuScaled(resources).toString(),
      su_scaled: suScaled(resources).toString(),
      price_musd: got.priceMusd,
      hourly_cost_scaled: got.hourlyCostScaled.toString(),
      hourly_units_undiscounted: got.hourlyUnitsUndiscounted.toString(),
      monthly_units: got.monthlyUnits.toString(),
      discount_level: got.discount,
      pays_percent: Number({ None: 100, Default: 80, Bronze: 70, Silver: 60, Gold: 40 }[got.discount]),
      hourly_units: got.hourlyUnits.toString(),
    }).toEqual(c.expect);
  });
}

test('TFT amounts read as people write them', () => {
  expect(formatTft(8_472_000n)).toBe('0.8472 TFT');
  expect(formatTft(10_000_000_000_000n)).toBe('1,000,000.0000 TFT');
  expect(formatTft(1n)).toBe('0.0000001 TFT');
});
