// SPEC §5 in TypeScript: what a deployment costs an hour, as the chain's billing computes it
// (`gridchain-primitives`). `web/test/pricing.test.ts` checks it against
// `primitives/testdata/prices.json`, written by the Rust crate.

export const COST_SCALE = 1_000_000_000n;
const SECS_PER_HOUR = 3600n;
const GIB = 1n << 30n;
const CU_DENOMINATOR = 8n * GIB;
const SU_DENOMINATOR = 1200n * GIB;
const CERTIFIED_SURCHARGE_PERCENT = 25n;
const HOURS_PER_MONTH = 720n;
export const UNITS_PER_TFT = 10_000_000n;

export interface Resources { cru: bigint; mru: bigint; sru: bigint; hru: bigint }
export interface UnitPrices { cu: bigint; su: bigint; nu: bigint; ipu: bigint; unique_name: bigint }
export type DiscountLevel = 'None' | 'Default' | 'Bronze' | 'Silver' | 'Gold';

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/** CU × CU_DENOMINATOR (§5.2). */
export function cuScaled(r: Resources): bigint {
  const cruGib = r.cru * GIB;
  return min(min(max(2n * r.mru, 4n * cruGib), max(r.mru, 8n * cruGib)), max(4n * r.mru, 2n * cruGib));
}

/** SU × SU_DENOMINATOR (§5.2). */
export const suScaled = (r: Resources) => r.hru + r.sru * 6n;

const scaled = (numerator: bigint, denominator: bigint) =>
  (denominator === 0n ? 0n : (numerator * COST_SCALE) / denominator);

/** CU and SU cost of `windowSecs`, in uUSD × COST_SCALE. */
export function capacityCost(p: UnitPrices, used: Resources, windowSecs: bigint, certified: boolean): bigint {
  const cu = scaled(cuScaled(used) * p.cu * windowSecs, CU_DENOMINATOR * SECS_PER_HOUR);
  const su = scaled(suScaled(used) * p.su * windowSecs, SU_DENOMINATOR * SECS_PER_HOUR);
  const cost = cu + su;
  return certified ? (cost * (100n + CERTIFIED_SURCHARGE_PERCENT)) / 100n : cost;
}

export const publicIpCost = (p: UnitPrices, ips: bigint, windowSecs: bigint) =>
  scaled(ips * p.ipu * windowSecs, SECS_PER_HOUR);

export const clampPrice = (average: number, minMusd: number, maxMusd: number) =>
  Math.min(Math.max(average, minMusd), Math.max(maxMusd, minMusd));

/** TFT units for `cost` at `priceMusd`, paying `paysPercent`, rounded half up. */
export function tftDue(cost: bigint, priceMusd: number, paysPercent: bigint): bigint {
  const denominator = COST_SCALE * BigInt(priceMusd) * 100n;
  if (denominator === 0n) return 0n;
  return (cost * 1000n * paysPercent + denominator / 2n) / denominator;
}

export const PAYS_PERCENT: Record<DiscountLevel, bigint> = {
  None: 100n,
  Default: 80n,
  Bronze: 70n,
  Silver: 60n,
  Gold: 40n,
};

/** The discount a free balance earns against a monthly cost (§5.4). */
export function discountFor(freeBalance: bigint, monthlyUnits: bigint): DiscountLevel {
  if (monthlyUnits === 0n) return 'Gold';
  const twice = freeBalance * 2n;
  if (twice >= monthlyUnits * 36n) return 'Gold';
  if (twice >= monthlyUnits * 12n) return 'Silver';
  if (twice >= monthlyUnits * 6n) return 'Bronze';
  if (twice >= monthlyUnits * 3n) return 'Default';
  return 'None';
}

/** What the dashboard shows before signing. */
export interface HourlyPrice {
  priceMusd: number;
  hourlyCostScaled: bigint;
  hourlyUnitsUndiscounted: bigint;
  monthlyUnits: bigint;
  discount: DiscountLevel;
  hourlyUnits: bigint;
}

/** A node contract's price per hour for its capacity and IPs, traffic aside, as billing computes it. */
export function hourlyPrice(input: {
  prices: UnitPrices;
  resources: Resources;
  publicIps: number;
  certified: boolean;
  averageMusd: number;
  minMusd: number;
  maxMusd: number;
  freeBalance: bigint;
}): HourlyPrice {
  const priceMusd = clampPrice(input.averageMusd, input.minMusd, input.maxMusd);
  const hourlyCostScaled = capacityCost(input.prices, input.resources, SECS_PER_HOUR, input.certified)
    + publicIpCost(input.prices, BigInt(input.publicIps), SECS_PER_HOUR);
  const hourlyUnitsUndiscounted = tftDue(hourlyCostScaled, priceMusd, 100n);
  const monthlyUnits = hourlyUnitsUndiscounted * HOURS_PER_MONTH;
  const discount = discountFor(input.freeBalance, monthlyUnits);
  return {
    priceMusd,
    hourlyCostScaled,
    hourlyUnitsUndiscounted,
    monthlyUnits,
    discount,
    hourlyUnits: tftDue(hourlyCostScaled, priceMusd, PAYS_PERCENT[discount]),
  };
}

/** TFT units as text with 7 decimals, trailing zeros kept to 4: `0.8472 TFT`. */
export function formatTft(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / UNITS_PER_TFT;
  let frac = (abs % UNITS_PER_TFT).toString().padStart(7, '0').replace(/0+$/, '');
  if (frac.length < 4) frac = frac.padEnd(4, '0');
  return `${negative ? '-' : ''}${whole.toLocaleString('en-US')}.${frac} TFT`;
}
