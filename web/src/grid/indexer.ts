// The indexer's GraphQL API (grid-indexer): node search, contracts and bills.

import type { Resources } from '../deployment';

export class IndexerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexerError';
  }
}

/** A node as the indexer has it. `free` is the chain's rule (SPEC §4.5): `total` minus what its
 * live node contracts `declared`, not what they report using (`used`). */
export interface NodeRow {
  id: number; farmId: number; twinId: number; country: string; city: string; freeIps: number;
  certified: boolean; total: Resources; declared: Resources; used: Resources; free: Resources;
}
export interface FarmRow {
  id: number;
  name: string;
  twinId: number;
  pricingPolicyId: number;
  freeIps: number;
  dedicated: boolean;
  publicIps: { ip: string; gateway: string; contractId: number }[];
}
/** At least this much free, i.e. not declared by the node's live contracts. */
export interface NodeFilter {
  farmId?: number;
  country?: string;
  city?: string;
  certified?: boolean;
  freeCru?: number;
  freeMru?: number;
  freeSru?: number;
  freeHru?: number;
  freeIps?: number;
}
export interface BillRow {
  blockNumber: number;
  contractId: number;
  amount: string;
  discountLevel: string;
  time: number;
}
/** `capacity` is what a node contract declared (zeros for name and rent contracts). */
export interface ContractRow {
  id: number;
  state: string;
  kind: string;
  nodeId: number | null;
  billed: string;
  deposit: string;
  publicIps: number;
  createdTime: number;
  capacity: Resources;
}

export class Indexer {
  constructor(readonly url: string) {}

  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url.replace(/\/$/, '') + '/graphql', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }),
      });
    } catch (e) {
      throw new IndexerError(`The indexer at ${this.url} did not answer: ${(e as Error).message}`);
    }
    const body = await response.json().catch(() => null) as { data?: T; errors?: { message: string }[] } | null;
    if (!body) throw new IndexerError(`The indexer at ${this.url} answered HTTP ${response.status} without JSON.`);
    if (body.errors?.length) {
      throw new IndexerError(`The indexer refused the query: ${body.errors.map((e) => e.message).join('; ')}`);
    }
    if (!body.data) throw new IndexerError(`The indexer at ${this.url} answered no data.`);
    return body.data;
  }

  async nodes(filter: NodeFilter, first = 100, offset = 0): Promise<{ totalCount: number; items: NodeRow[] }> {
    const cap = '{ cru sru hru mru }';
    const q = `query($filter: NodeFilter, $first: Int!, $offset: Int!) {
      nodes(filter: $filter, first: $first, offset: $offset) {
      totalCount items { id farmId twinId country city freeIps certified total ${cap}
      declared ${cap} used ${cap} free ${cap} } } }`;
    return (await this.query<{ nodes: { totalCount: number; items: NodeRow[] } }>(q, { filter, first, offset })).nodes;
  }

  async farms(): Promise<FarmRow[]> {
    const q = `{ farms(first: 1000) { items {
      id name twinId pricingPolicyId freeIps dedicated publicIps { ip gateway contractId } } } }`;
    return (await this.query<{ farms: { items: FarmRow[] } }>(q)).farms.items;
  }

  /** Every bill of a contract, oldest first, and their total. */
  async bills(contractId: number): Promise<{ totalAmount: string; items: BillRow[] }> {
    const items: BillRow[] = [];
    let totalAmount = '0';
    for (let offset = 0; ; offset += 1000) {
      const q = `query($c: Int!, $o: Int!) { bills(filter: {contractId: $c}, first: 1000, offset: $o) {
        totalCount totalAmount items { blockNumber contractId amount discountLevel time } } }`;
      const page = (await this.query<{ bills: { totalCount: number; totalAmount: string; items: BillRow[] } }>(
        q,
        { c: contractId, o: offset },
      )).bills;
      items.push(...page.items);
      totalAmount = page.totalAmount;
      if (items.length >= page.totalCount || page.items.length === 0) break;
    }
    items.sort((a, b) => a.blockNumber - b.blockNumber);
    return { totalAmount, items };
  }

  async contractsOfTwin(twinId: number): Promise<ContractRow[]> {
    const q = `query($t: Int!) { contracts(filter: {twinId: $t}, first: 1000) { items {
      id state kind nodeId billed deposit publicIps createdTime capacity { cru sru hru mru } } } }`;
    return (await this.query<{ contracts: { items: ContractRow[] } }>(q, { t: twinId })).contracts.items;
  }
}
