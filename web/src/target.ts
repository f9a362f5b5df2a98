// The node a deployment goes to, as the chain has it: whether it exists, what it has free
// (SPEC §4.5: its capacity minus what its live contracts declare), its farm's free public IPs, the
// price (SPEC §5) and the deposit. `targetProblems` says in the user's words why a document cannot
// go there, so the page offers no sign button for it.

import type { Capacity, Resources } from './deployment';
import { GIB } from './deployment';
import type { Chain } from './grid/chain';
import { type HourlyPrice, hourlyPrice } from './pricing';

export interface Target {
  nodeId: number;
  farmId: number;
  /** What the chain lets a new contract declare on the node. */
  free: Resources;
  freeIps: number;
  price: HourlyPrice;
  /** TFT units held per contract, and per byte of its encrypted document. */
  depositBase: bigint;
  depositPerByte: bigint;
}

/** On an update, what the contract holds already: its declared capacity comes back to the node's
 * free capacity, and its IPs are all it can have. */
export interface Holding { declared: Resources; publicIps: number; contractId: number }

type Json = Record<string, unknown>;
const num = (v: unknown) => Number(v ?? 0);
const resources = (r: Json | undefined): Resources =>
  ({ cru: num(r?.cru), mru: num(r?.mru), sru: num(r?.sru), hru: num(r?.hru) });

/** Read node `nodeId` for a document of capacity `cap`; throws "Node N does not exist." */
export async function readTarget(chain: Chain, nodeId: number, cap: Capacity, address: string): Promise<Target> {
  const api = chain.api;
  const node = await chain.farmPolicyAndNode(nodeId);
  const raw = (await api.query.registry.nodes(nodeId)).toJSON() as Json;
  const declared = (await api.query.smartContract.nodeDeclared(nodeId)).toJSON() as Json;
  const farm = (await api.query.registry.farms(num(raw.farmId))).toJSON() as {
    publicIps?: { contractId: number }[];
  } | null;
  const [prices, tft, balance] = await Promise.all([
    chain.unitPrices(node.policyId),
    chain.tftPrice(),
    chain.balance(address),
  ]);
  const total = resources(raw.resources as Json);
  const used = resources(declared.capacity as Json);
  const price = hourlyPrice({
    prices, certified: node.certified, publicIps: cap.public_ips, ...tft, freeBalance: balance.free,
    resources: { cru: BigInt(cap.cru), mru: BigInt(cap.mru), sru: BigInt(cap.sru), hru: BigInt(cap.hru) },
  });
  const consts = api.consts.smartContract as unknown as Record<string, { toString(): string }>;
  return {
    nodeId, farmId: num(raw.farmId), price,
    free: {
      cru: total.cru - used.cru,
      mru: total.mru - used.mru,
      sru: total.sru - used.sru,
      hru: total.hru - used.hru,
    },
    freeIps: (farm?.publicIps ?? []).filter((ip) => num(ip.contractId) === 0).length,
    depositBase: BigInt(consts.depositBase.toString()), depositPerByte: BigInt(consts.depositPerByte.toString()),
  };
}

const gib = (bytes: number) => `${Math.floor((bytes / GIB) * 100) / 100} GiB`;
const vcpus = (n: number) => `${n} vCPU${n === 1 ? '' : 's'}`;
/** Each resource: what the node has free, and what the document asks, in words. */
const WORDS: { key: keyof Resources; free: (n: number) => string; asks: (n: number) => string }[] = [
  { key: 'cru', free: (n) => `${n} free vCPU${n === 1 ? '' : 's'}`, asks: vcpus },
  { key: 'mru', free: (n) => `${gib(n)} of free memory`, asks: gib },
  { key: 'sru', free: (n) => `${gib(n)} of free SSD storage`, asks: gib },
  { key: 'hru', free: (n) => `${gib(n)} of free HDD storage`, asks: gib },
];

/** Why a document of capacity `cap` cannot go to `target` (on an update, in place of what
 * `holding` declares), each in a sentence; empty when it can. */
export function targetProblems(target: Target, cap: Capacity, holding: Holding | null): string[] {
  const problems: string[] = [];
  for (const { key, free, asks } of WORDS) {
    const available = target.free[key] + (holding?.declared[key] ?? 0);
    if (cap[key] > available) {
      problems.push(`Node ${target.nodeId} has ${free(available)}${holding ? ' for this contract' : ''}; `
        + `this asks for ${asks(cap[key])}.`);
    }
  }
  if (holding && cap.public_ips > holding.publicIps) {
    const reserved = `${holding.publicIps} public IP${holding.publicIps === 1 ? '' : 's'}`;
    problems.push(`Contract ${holding.contractId} reserved ${reserved}; `
      + 'an update cannot add one: untick Public IPv4, or deploy a new contract.');
  }
  if (!holding && cap.public_ips > target.freeIps) {
    const freeIps = target.freeIps === 0 ? 'no free public IP' : `only ${target.freeIps} free public IPs`;
    problems.push(`Farm ${target.farmId} has ${freeIps}: untick Public IPv4, or choose a node in another farm.`);
  }
  return problems;
}

/** The deposit a contract holds for `dataBytes` of encrypted document. */
export const depositFor = (t: Target, dataBytes: number) => t.depositBase + t.depositPerByte * BigInt(dataBytes);
