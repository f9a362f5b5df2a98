// Opening an account in the page — a dev account or a phrase (keys held here), a wallet account
// (keys in its extension), the phrase account kept sealed in this browser — and signing in again
// after a reload as `session.ts` remembers it.

import type { KeyringPair } from '@polkadot/keyring/types';
import type { Chain } from './grid/chain';
import { type AgeKey, accountFromUri, ageKeyFromUri, identityFromText, isTwinKey, signerOf } from './identity';
import { type KeptAccount, keepAccount, keptAccount, seal, unseal } from './keystore';
import type { Account, Remembered } from './session';
import { type WalletAccount, keptIdentity, reconnectWallet, walletSigners } from './wallet';

export const DEV_ACCOUNTS = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];
const isDevUri = (uri: string) => DEV_ACCOUNTS.some((n) => uri === `//${n}`);

async function keyAccount(
  chain: Chain,
  pair: KeyringPair,
  ageKey: AgeKey,
  label: string,
  kind: 'dev' | 'phrase',
  remember?: Remembered,
): Promise<Account> {
  const twinId = await chain.twinIdOf(pair.address);
  return { label, kind, address: pair.address, tx: { pair }, signer: signerOf(pair), ageKey, twinId, remember };
}

/** A dev account (`//Alice` …), which a reload signs in again without asking. */
export async function openDev(chain: Chain, uri: string): Promise<Account> {
  return keyAccount(chain, accountFromUri(uri), await ageKeyFromUri(uri), uri, 'dev', { kind: 'dev', uri });
}

/** A phrase account; with a password, also kept sealed in this browser (replacing the one kept
 * before) so that a reload asks for the password instead of the phrase. */
export async function openPhrase(chain: Chain, phrase: string, password: string): Promise<Account> {
  const pair = accountFromUri(phrase);
  const ageKey = await ageKeyFromUri(phrase);
  if (!password) return keyAccount(chain, pair, ageKey, 'phrase', 'phrase');
  keepAccount(seal(phrase, password));
  return keyAccount(chain, pair, ageKey, 'phrase', 'phrase', { kind: 'phrase', address: pair.address });
}

/** The phrase account kept in this browser, unlocked with its password. */
export async function openKept(chain: Chain, kept: KeptAccount, password: string): Promise<Account> {
  const { pair, ageKey } = await unseal(kept, password);
  return keyAccount(chain, pair, ageKey, 'phrase', 'phrase', { kind: 'phrase', address: pair.address });
}

/** A wallet account, with the encryption identity this browser keeps for it if that is still its
 * twin's key. */
export async function openWallet(chain: Chain, w: WalletAccount): Promise<Account> {
  const { tx, signer } = await walletSigners(w);
  const twinId = await chain.twinIdOf(w.address);
  const pk = twinId ? (await chain.twin(twinId))?.pk ?? null : null;
  const kept = keptIdentity(w.address);
  const keptKey = kept ? await identityFromText(kept).catch(() => null) : null;
  const ageKey = keptKey && isTwinKey(keptKey, pk) ? keptKey : null;
  const remember: Remembered = { kind: 'wallet', address: w.address, source: w.source };
  return { label: `${w.name} (${w.source})`, kind: 'wallet', address: w.address, tx, signer, ageKey, twinId, remember };
}

/** What a reload finds: an account signed in again, the kept phrase account waiting for its
 * password, or why the remembered account could not be signed in again. */
export type Restored = { account: Account } | { locked: KeptAccount } | { lost: string };

export async function restore(chain: Chain, r: Remembered | null, devChain: boolean): Promise<Restored | null> {
  if (r?.kind === 'dev') return devChain && isDevUri(r.uri) ? { account: await openDev(chain, r.uri) } : null;
  if (r?.kind === 'phrase') {
    const kept = keptAccount();
    return kept?.address === r.address ? { locked: kept } : null;
  }
  if (r?.kind === 'wallet') {
    const w = await reconnectWallet(r.address, r.source);
    if (!w) {
      return {
        lost: `Your wallet ${r.source} does not share the account ${r.address} with this page any more: `
          + 'connect the wallet again.',
      };
    }
    return { account: await openWallet(chain, w) };
  }
  return null;
}
