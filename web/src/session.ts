// What the whole page shares: where the grid is, the connection, and the signed-in account.

import { createContext, useContext } from 'react';
import type { Chain, TxSigner } from './grid/chain';
import type { Indexer } from './grid/indexer';
import type { AgeKey } from './identity';
import type { Deployment, Signer } from './deployment';
import { type Endpoints, savedEndpoints } from './links';

/** The endpoints the user saved (or the local grid's). A link's `?rpc=`/`?indexer=` never lands
 * here by itself: it is offered, and saved when the user accepts it (`links.ts`). */
export function endpoints(): Endpoints {
  return savedEndpoints(localStorage.getItem('gridchain.endpoints'));
}

export function saveEndpoints(e: Endpoints) {
  localStorage.setItem('gridchain.endpoints', JSON.stringify(e));
}

export interface Account {
  /** What the user knows it by: a dev name, "phrase", a wallet account's name and wallet. */
  label: string;
  /** Where the account key is: in a wallet extension, or in this page (a phrase or a dev account). */
  kind: 'wallet' | 'phrase' | 'dev';
  address: string;
  /** Signs its transactions. */
  tx: TxSigner;
  /** Signs bytes with the account key: deployment signatures (§9.4), requests to agents (§10). */
  signer: Signer;
  /** The encryption (age) identity (§9.5): derived from the phrase, or for a wallet account the
   * random one the page made, once generated or restored; null until then. */
  ageKey: AgeKey | null;
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
