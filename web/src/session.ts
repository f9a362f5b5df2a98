// What the whole page shares: where the grid is, the connection, and the signed-in account.

import { createContext, useContext } from 'react';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { Chain } from './grid/chain';
import type { Indexer } from './grid/indexer';
import type { AgeKey } from './identity';
import type { Deployment } from './deployment';

export interface Endpoints { rpc: string; indexer: string }

/** `?rpc=…&indexer=…` on the page's URL, else what was saved, else the local grid's. */
export function endpoints(): Endpoints {
  const params = new URLSearchParams(window.location.search);
  const saved = JSON.parse(localStorage.getItem('gridchain.endpoints') ?? '{}') as Partial<Endpoints>;
  return {
    rpc: params.get('rpc') ?? saved.rpc ?? 'ws://127.0.0.1:9944',
    indexer: params.get('indexer') ?? saved.indexer ?? 'http://127.0.0.1:4350',
  };
}

export function saveEndpoints(e: Endpoints) {
  localStorage.setItem('gridchain.endpoints', JSON.stringify(e));
}

export interface Account {
  /** How it was opened: a dev name, "phrase". */
  label: string;
  pair: KeyringPair;
  ageKey: AgeKey;
  twinId: number | null;
}

export type Page = 'account' | 'grid' | 'deploy' | 'contracts' | 'cosign';

export interface Session {
  chain: Chain;
  indexer: Indexer;
  chainName: string;
  account: Account | null;
  setAccount(a: Account | null): void;
  go(page: Page, options?: { nodeId?: number; document?: Deployment }): void;
  /** A node chosen on the grid page, for the deploy form. */
  nodeId: number | null;
  /** A document passed to the deploy page (e.g. one co-signed). */
  document: Deployment | null;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the app');
  return s;
}

/** Any error as a sentence. */
export const sentence = (e: unknown) => (e instanceof Error ? e.message : String(e));
