// What the whole page shares: where the grid is, the connection, and the signed-in account.

import { createContext, useContext, useEffect, useState } from 'react';
import { type Balance, type Chain, type TxSigner, failureText } from './grid/chain';
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
  /** How the page signs it in again after a reload; none for a phrase the user did not keep. */
  remember?: Remembered;
}

/** Who is signed in, as the page remembers it across reloads: a dev account's URI, a wallet
 * account (reconnected through its wallet, which decides whether the page may see it), or a phrase
 * account's address (its key kept sealed, `keystore.ts`). Never a key or a phrase. */
export type Remembered =
  | { kind: 'dev'; uri: string }
  | { kind: 'wallet'; address: string; source: string }
  | { kind: 'phrase'; address: string };

const SIGNED_IN = 'gridchain.signedIn';

export function remembered(storage: Storage = localStorage): Remembered | null {
  try {
    const r = JSON.parse(storage.getItem(SIGNED_IN) ?? 'null') as Remembered | null;
    return r && ['dev', 'wallet', 'phrase'].includes(r.kind) ? r : null;
  } catch {
    return null;
  }
}

export function remember(r: Remembered | null, storage: Storage = localStorage) {
  if (r) storage.setItem(SIGNED_IN, JSON.stringify(r));
  else storage.removeItem(SIGNED_IN);
}

export type Page = 'account' | 'grid' | 'deploy' | 'contracts' | 'cosign';

export interface Session {
  chain: Chain;
  indexer: Indexer;
  chainName: string;
  /** The chain says it is a development or local chain (`system_chainType`): dev accounts and
   * funding from //Alice are offered only there. */
  devChain: boolean;
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

/** The balance of `address`, current: it changes on screen as it changes on chain. */
export function useBalance(chain: Chain, address: string | null): Balance | null {
  // Kept with the chain and address it is of, so another account's balance never shows as this one's.
  const [watched, setWatched] = useState<{ chain: Chain; address: string; balance: Balance } | null>(null);
  useEffect(() => {
    if (!address) return;
    let stop: (() => void) | null = null;
    let stopped = false;
    const show = (balance: Balance) => setWatched({ chain, address, balance });
    chain.watchBalance(address, show).then((s) => { if (stopped) s(); else stop = s; }, () => undefined);
    return () => { stopped = true; stop?.(); };
  }, [chain, address]);
  return watched?.chain === chain && watched.address === address ? watched.balance : null;
}

/** Any error as a sentence, an event's too (a WebSocket rejects with events, not errors). */
export const sentence = (e: unknown) => failureText(e);
