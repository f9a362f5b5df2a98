// What a link to the dashboard carries, read and written in one place: a document to co-sign
// (`#doc=…`) and endpoints it offers (`?rpc=…&indexer=…`). Anyone can send a link, so a link's
// endpoints are only offered: the page applies them when the user accepts, after showing the
// offered chain's genesis hash against the known one (`pages/EndpointOffer.tsx`). The links the
// page builds carry no endpoints at all.

import { base64url } from '@scure/base';
import { stringToU8a, u8aToString } from '@polkadot/util';
import { type Deployment, canonical } from './deployment';

/** Where the grid is: a chain node's WebSocket RPC and an indexer's HTTP API. */
export interface Endpoints { rpc: string; indexer: string }

/** The local grid's endpoints (`scripts/local-grid.sh` with its default ports). */
export const LOCAL_GRID: Endpoints = { rpc: 'ws://127.0.0.1:9944', indexer: 'http://127.0.0.1:4350' };

const PROTOCOLS: Record<keyof Endpoints, string[]> = { rpc: ['ws:', 'wss:'], indexer: ['http:', 'https:'] };

/** Whether `url` can be this kind of endpoint: a chain's `ws://`/`wss://`, an indexer's `http://`/`https://`. */
export function isEndpoint(kind: keyof Endpoints, url: string): boolean {
  try {
    return PROTOCOLS[kind].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** The saved endpoints (the JSON kept in localStorage), each falling back to the local grid's. */
export function savedEndpoints(stored: string | null): Endpoints {
  let saved: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(stored ?? '{}');
    if (typeof parsed === 'object' && parsed !== null) saved = parsed as Record<string, unknown>;
  } catch { /* unreadable: the defaults */ }
  const pick = (kind: keyof Endpoints) => (typeof saved[kind] === 'string' ? saved[kind] as string : LOCAL_GRID[kind]);
  return { rpc: pick('rpc'), indexer: pick('indexer') };
}

/** The endpoints a page URL's query string offers that differ from the `known` ones. Something
 * that cannot be such an endpoint (`?rpc=javascript:…`) is not offered. */
export function offeredEndpoints(search: string, known: Endpoints): Partial<Endpoints> {
  const params = new URLSearchParams(search);
  const offer: Partial<Endpoints> = {};
  for (const kind of ['rpc', 'indexer'] as const) {
    const url = params.get(kind);
    if (url !== null && url !== known[kind] && isEndpoint(kind, url)) offer[kind] = url;
  }
  return offer;
}

/** The page's URL without `rpc` and `indexer`: what the address bar keeps once the user decided. */
export function withoutOffer(href: string): string {
  const url = new URL(href);
  url.searchParams.delete('rpc');
  url.searchParams.delete('indexer');
  return url.toString();
}

/** A link that opens `doc` on the co-sign page: the page's own address and the document, nothing
 * else — no query string, so none of the sender's endpoints. */
export function shareLink(doc: Deployment, pageHref: string): string {
  const url = new URL(pageHref);
  url.search = '';
  url.hash = `doc=${base64url.encode(stringToU8a(canonical(doc)))}`;
  return url.toString();
}

/** The document text a link's fragment (`#doc=…`) carries, or null. */
export function documentFromLink(fragment: string): string | null {
  const doc = new URLSearchParams(fragment.replace(/^#/, '')).get('doc');
  if (!doc) return null;
  try {
    return u8aToString(base64url.decode(doc));
  } catch {
    return null;
  }
}

/** Two chains are the same chain when their genesis hashes are; unknown when either is. */
export type GenesisComparison = 'same chain' | 'different chain' | 'unknown';

export function compareGenesis(known: string | null, offered: string | null): GenesisComparison {
  if (!known || !offered) return 'unknown';
  return known.toLowerCase() === offered.toLowerCase() ? 'same chain' : 'different chain';
}
