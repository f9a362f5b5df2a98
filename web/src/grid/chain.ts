// The chain through @polkadot/api: the reads the dashboard needs, and transactions whose refusals
// come back in plain words (the pallet error's doc sentence, as `grid` prints them).

import { ApiPromise, WsProvider } from '@polkadot/api';
import type { Signer as WalletSigner, SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { DispatchError, EventRecord } from '@polkadot/types/interfaces';
import { hexToString, hexToU8a, isHex, u8aToHex } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';
import type { Resources } from '../deployment';
import type { UnitPrices } from '../pricing';

/** The chain said no, or the pool refused the transaction: a sentence for people. */
export class ChainError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'ChainError';
  }
}

export interface TwinView { id: number; account: string; pk: Uint8Array | null; relay: string | null }
export interface ContractIp { ip: string; gateway: string }
export interface ContractView {
  id: number;
  version: number;
  twinId: number;
  kind: 'node' | 'name' | 'rent';
  state: string;
  graceSince: number | null;
  nodeId: number | null;
  deploymentHash: string | null;
  deploymentData: Uint8Array | null;
  publicIps: ContractIp[];
  /** What a node contract declares it reserves (SPEC §4.5); null for name and rent contracts. */
  capacity: Resources | null;
  name: string | null;
  /** The deposit held for it, released when it ends. */
  deposit: bigint;
}
export interface Balance { free: bigint; reserved: bigint }
export type Progress = (step: string) => void;
/** Who signs a transaction: a key the page holds, or a wallet extension (its `signPayload`) for
 * one of its accounts. */
export type TxSigner = { pair: KeyringPair } | { address: string; wallet: WalletSigner };

const text = (v: unknown) => (typeof v === 'string' && isHex(v) ? hexToString(v) : String(v ?? ''));
const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** The chain's `Resources` argument: exactly its four fields (a document's capacity also counts IPs). */
const resourcesArg = (r: Resources) => ({ cru: r.cru, sru: r.sru, hru: r.hru, mru: r.mru });
/** A u64 as `toJSON` gives it: a number, or hex when large. */
const u64 = (v: number | string) => Number(v);
/** A contract's `Resources` as `toJSON` gives them: four u64s. */
const resourcesOfJson = (r: Record<keyof Resources, number | string>) =>
  ({ cru: u64(r.cru), sru: u64(r.sru), hru: u64(r.hru), mru: u64(r.mru) });

/** What went wrong, in words, whatever was thrown: a WebSocket rejects with its `error` or
 * `close` event, which is no Error and has no message. */
export function failureText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  const event = e as { type?: unknown; code?: unknown; reason?: unknown } | null;
  if (event && event.type === 'close' && typeof event.code === 'number') {
    const reason = event.reason ? `: ${String(event.reason)}` : '';
    return `the connection closed without an answer (WebSocket code ${event.code}${reason})`;
  }
  if (event && event.type === 'error') return 'nothing answered the WebSocket connection';
  if (typeof e === 'string' && e.trim()) return e;
  return 'no reason was given';
}

/** Why the page could not connect to the chain at `url`, and what to check. */
export function connectionFailure(url: string, e: unknown): ChainError {
  return new ChainError(
    `Cannot connect to the chain at ${url}: ${failureText(e)}. `
      + 'Check that a chain node runs there and that the address is right.',
    'Unreachable',
  );
}

type AccountInfo = { data: { free: { toBigInt(): bigint }; reserved: { toBigInt(): bigint } } };
const balanceOf = (info: unknown): Balance => {
  const { data } = info as AccountInfo;
  return { free: data.free.toBigInt(), reserved: data.reserved.toBigInt() };
};

/** What to do next after a refusal, where the pallet's sentence says only what happened. */
const NEXT_STEP: Record<string, string> = {
  'SmartContract::NodeHasNotEnoughCapacity': 'Ask for less, or find a node with more free capacity on the Grid page.',
  'SmartContract::TooManyContractsOnNode': 'Find another node on the Grid page.',
};

/** A refusal in the words of the runtime's metadata: `Pallet::Error: sentence`, and what to do next where we know. */
export function explain(api: ApiPromise, error: DispatchError): ChainError {
  if (error.isModule) {
    const meta = api.registry.findMetaError(error.asModule);
    const sentence = meta.docs.join(' ').trim();
    const code = `${capitalized(meta.section)}::${meta.name}`;
    const next = NEXT_STEP[code];
    return new ChainError(`${code}: ${sentence || meta.name}${next ? ` ${next}` : ''}`, code);
  }
  if (error.isToken) {
    const token = error.asToken.type;
    const words: Record<string, string> = {
      FundsUnavailable: 'your free balance is too low for this',
      OnlyProvider: 'this would leave the account unable to exist',
      BelowMinimum: 'the amount is below the existential deposit',
    };
    return new ChainError(`Balances: ${words[token] ?? token}.`, `Token::${token}`);
  }
  if (error.isBadOrigin) return new ChainError('This account may not make this call.', 'BadOrigin');
  return new ChainError(`The chain refused the call: ${error.type}.`, error.type);
}

function poolRefusal(e: Error): ChainError {
  const m = e.message;
  if (/Inability to pay some fees/i.test(m)) return new ChainError('Your account cannot pay the transaction fee: its free balance is too low.', 'Payment');
  if (/Priority is too low|already imported/i.test(m)) return new ChainError('A transaction of this account is still pending: wait for it and try again.', 'Pending');
  return new ChainError(`The node refused the transaction: ${m}`, 'Rejected');
}

/** A wallet's signer whose refusal (the user said no, the extension is locked) says so, rather
 * than passing for the pool's. */
function refusalsNamed(wallet: WalletSigner): WalletSigner {
  const signPayload = wallet.signPayload?.bind(wallet);
  if (!signPayload) return wallet;
  return {
    update: wallet.update?.bind(wallet),
    signPayload: (payload) => signPayload(payload).catch((e: unknown) => {
      throw new ChainError(
        `Your wallet did not sign the transaction: ${e instanceof Error ? e.message : String(e)}`,
        'NotSigned',
      );
    }),
  };
}

export class Chain {
  private constructor(readonly api: ApiPromise, readonly url: string) {}

  static async connect(url: string, timeoutMs = 15000): Promise<Chain> {
    const provider = new WsProvider(url, 2000);
    const api = new ApiPromise({ provider, noInitWarn: true, throwOnConnect: true });
    const noAnswer = () => new ChainError(
      `The chain at ${url} did not answer within ${timeoutMs / 1000} s: is the node running?`,
      'Unreachable',
    );
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(noAnswer()), timeoutMs));
    try {
      await Promise.race([api.isReadyOrError, timeout]);
    } catch (e) {
      await api.disconnect().catch(() => undefined);
      throw e instanceof ChainError ? e : connectionFailure(url, e);
    }
    return new Chain(api, url);
  }

  disconnect() { return this.api.disconnect(); }

  async balance(address: string): Promise<Balance> {
    return balanceOf(await this.api.query.system.account(address));
  }

  /** Calls `onChange` with the balance now and after every change (a fee, a deposit held or
   * released, a transfer); returns the function that stops it. */
  async watchBalance(address: string, onChange: (b: Balance) => void): Promise<() => void> {
    const unsubscribe = await this.api.query.system.account(address, (info: unknown) => onChange(balanceOf(info)));
    return unsubscribe as unknown as () => void;
  }

  async twinIdOf(address: string): Promise<number | null> {
    const id = (await this.api.query.registry.twinIdByAccount(address)).toJSON();
    return typeof id === 'number' ? id : null;
  }

  async twin(id: number): Promise<TwinView | null> {
    const t = (await this.api.query.registry.twins(id)).toJSON() as {
      id: number; accountId: string; pk: string | null; relay: string | null;
    } | null;
    if (!t) return null;
    return { id: t.id, account: t.accountId, pk: t.pk ? hexToU8a(t.pk) : null, relay: t.relay ? text(t.relay) : null };
  }

  /** Each twin's 32-byte account id, for checking signatures (§9.4). */
  async accountOfTwin(id: number): Promise<Uint8Array | undefined> {
    const twin = await this.twin(id);
    return twin ? decodeAddress(twin.account) : undefined;
  }

  async farmPolicyAndNode(nodeId: number): Promise<{ policyId: number; certified: boolean; twinId: number }> {
    const node = (await this.api.query.registry.nodes(nodeId)).toJSON() as {
      farmId: number; twinId: number; certification: string;
    } | null;
    if (!node) throw new ChainError(`Node ${nodeId} does not exist.`, 'NodeNotFound');
    const farm = (await this.api.query.registry.farms(node.farmId)).toJSON() as { pricingPolicyId: number } | null;
    if (!farm) throw new ChainError(`Farm ${node.farmId} does not exist.`, 'FarmNotFound');
    return {
      policyId: farm.pricingPolicyId,
      certified: String(node.certification).toLowerCase() === 'certified',
      twinId: node.twinId,
    };
  }

  async unitPrices(policyId: number): Promise<UnitPrices> {
    const p = (await this.api.query.registry.pricingPolicies(policyId)).toJSON() as Record<string, number> | null;
    if (!p) throw new ChainError(`Pricing policy ${policyId} does not exist.`, 'PolicyNotFound');
    return {
      cu: BigInt(p.cu),
      su: BigInt(p.su),
      nu: BigInt(p.nu),
      ipu: BigInt(p.ipu),
      unique_name: BigInt(p.uniqueName),
    };
  }

  async tftPrice(): Promise<{ averageMusd: number; minMusd: number; maxMusd: number }> {
    const q = this.api.query.tftPrice;
    const [a, min, max] = await Promise.all([q.averageTftPrice(), q.minTftPrice(), q.maxTftPrice()]);
    return { averageMusd: Number(a.toJSON()), minMusd: Number(min.toJSON()), maxMusd: Number(max.toJSON()) };
  }

  async contract(id: number): Promise<ContractView | null> {
    const c = (await this.api.query.smartContract.contracts(id)).toJSON() as null | {
      version: number; contractId: number; twinId: number;
      contractType: {
        node?: {
          nodeId: number;
          deploymentHash: string;
          deploymentData: string;
          publicIpsList: { ip: string; gateway: string }[];
          capacity: Record<keyof Resources, number | string>;
        };
        name?: { name: string };
        rent?: { nodeId: number };
      };
      state: Record<string, unknown>;
      billing?: { deposit?: number | string };
    };
    if (!c) return null;
    const [stateKey, stateValue] = Object.entries(c.state)[0] ?? ['unknown', null];
    const node = c.contractType.node;
    return {
      id: c.contractId,
      version: c.version,
      twinId: c.twinId,
      kind: node ? 'node' : c.contractType.name ? 'name' : 'rent',
      state: stateKey === 'gracePeriod' ? 'grace_period' : stateKey,
      graceSince: stateKey === 'gracePeriod' ? Number(stateValue) : null,
      nodeId: node?.nodeId ?? c.contractType.rent?.nodeId ?? null,
      deploymentHash: node?.deploymentHash ?? null,
      deploymentData: node ? hexToU8a(node.deploymentData) : null,
      publicIps: (node?.publicIpsList ?? []).map((ip) => ({ ip: text(ip.ip), gateway: text(ip.gateway) })),
      capacity: node ? resourcesOfJson(node.capacity) : null,
      name: c.contractType.name ? text(c.contractType.name.name) : null,
      deposit: BigInt(c.billing?.deposit ?? 0),
    };
  }

  async contractsOfTwin(twinId: number): Promise<number[]> {
    const keys = await this.api.query.smartContract.contractsByTwin.keys(twinId);
    return keys.map((k) => Number(k.args[1].toJSON())).sort((a, b) => a - b);
  }

  /** Sign, submit and wait until the transaction is final; returns its events. */
  async submit(
    tx: SubmittableExtrinsic<'promise'>,
    signer: TxSigner,
    progress: Progress = () => undefined,
  ): Promise<EventRecord[]> {
    const [account, options] = 'pair' in signer
      ? [signer.pair, { nonce: -1 }]
      : [signer.address, { nonce: -1, signer: refusalsNamed(signer.wallet) }];
    return new Promise((resolve, reject) => {
      let unsubscribe: (() => void) | undefined;
      const done = (f: () => void) => { unsubscribe?.(); f(); };
      tx.signAndSend(account, options, (result) => {
        if (result.status.isInBlock) progress('in a block, waiting for finality');
        if (result.dispatchError) return done(() => reject(explain(this.api, result.dispatchError!)));
        if (result.status.isFinalized) return done(() => resolve(result.events));
        if (result.status.isDropped || result.status.isInvalid || result.status.isUsurped) {
          done(() => reject(new ChainError(
            `The transaction was ${result.status.type.toLowerCase()} by the pool.`,
            result.status.type,
          )));
        }
      }).then((u) => { unsubscribe = u; }, (e: Error) => reject(e instanceof ChainError ? e : poolRefusal(e)));
      progress('sent');
    });
  }

  async createTwin(signer: TxSigner, pk: Uint8Array, progress?: Progress): Promise<number> {
    const events = await this.submit(this.api.tx.registry.createTwin(u8aToHex(pk), null), signer, progress);
    const created = events.find((e) => e.event.section === 'registry' && e.event.method === 'TwinCreated');
    if (!created) throw new ChainError('The chain did not report the new twin.', 'NoEvent');
    return Number(created.event.data[0].toJSON());
  }

  async setTwinPk(signer: TxSigner, pk: Uint8Array, relay: string | null, progress?: Progress): Promise<void> {
    await this.submit(this.api.tx.registry.updateTwin(u8aToHex(pk), relay), signer, progress);
  }

  /** A node contract for a deployment: its hash, its encrypted data, the public IPs and the
   * capacity it reserves (SPEC §9.2), which the node's free capacity must cover. */
  async createNodeContract(
    signer: TxSigner,
    nodeId: number,
    hash: Uint8Array,
    data: Uint8Array,
    publicIps: number,
    capacity: Resources,
    progress?: Progress,
  ): Promise<{ contractId: number; publicIps: ContractIp[]; deposit: bigint }> {
    const tx = this.api.tx.smartContract.createNodeContract(
      nodeId,
      u8aToHex(hash),
      u8aToHex(data),
      publicIps,
      resourcesArg(capacity),
    );
    const events = await this.submit(tx, signer, progress);
    const created = events.find((e) => e.event.section === 'smartContract' && e.event.method === 'ContractCreated');
    if (!created) throw new ChainError('The chain did not report the new contract.', 'NoEvent');
    const d = created.event.data.toJSON() as [
      number,
      number,
      number | null,
      { ip: string; gateway: string }[],
      string | number,
    ];
    return {
      contractId: d[0],
      publicIps: d[3].map((ip) => ({ ip: text(ip.ip), gateway: text(ip.gateway) })),
      deposit: BigInt(d[4]),
    };
  }

  /** A new deployment for a node contract, with the capacity it reserves: what grows must fit the
   * node's free capacity. */
  async updateNodeContract(
    signer: TxSigner,
    contractId: number,
    hash: Uint8Array,
    data: Uint8Array,
    capacity: Resources,
    progress?: Progress,
  ): Promise<void> {
    const tx = this.api.tx.smartContract.updateNodeContract(
      contractId,
      u8aToHex(hash),
      u8aToHex(data),
      resourcesArg(capacity),
    );
    await this.submit(tx, signer, progress);
  }

  async cancelContract(signer: TxSigner, contractId: number, progress?: Progress): Promise<void> {
    await this.submit(this.api.tx.smartContract.cancelContract(contractId), signer, progress);
  }

  /** The agent's URL of a node: its twin's relay. */
  async agentUrl(nodeId: number): Promise<string> {
    const { twinId } = await this.farmPolicyAndNode(nodeId);
    const relay = (await this.twin(twinId))?.relay;
    if (!relay) throw new ChainError(`Node ${nodeId}'s twin has no relay: its agent cannot be reached.`, 'NoRelay');
    return relay;
  }
}
