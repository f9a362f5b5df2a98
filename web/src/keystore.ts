// A phrase account kept in this browser so that a reload does not sign it out: never the phrase,
// only what a password unlocks. The account key is @polkadot/keyring's encrypted JSON
// (`pair.toJson(password)`: scrypt, then xsalsa20-poly1305); the encryption (age) identity derived
// from the phrase (§9.5), which the account key cannot give back, is sealed the same way
// (`jsonEncrypt`). Whoever reads localStorage (a script on this origin, another user of the
// machine) gets the two sealed boxes and must still guess the password.

import { Keyring } from '@polkadot/keyring';
import type { KeyringPair, KeyringPair$Json } from '@polkadot/keyring/types';
import { stringToU8a, u8aToString } from '@polkadot/util';
import { jsonDecrypt, jsonEncrypt } from '@polkadot/util-crypto';
import type { EncryptedJson } from '@polkadot/util-crypto/types';
import { type AgeKey, accountFromUri, ageIdentityOf, ageKeyOf, x25519Secret } from './identity';

/** Why a kept account could not be kept or opened. */
export class KeystoreError extends Error {
  constructor(readonly code: 'WrongPassword' | 'WeakPassword' | 'Damaged', message: string) {
    super(message);
    this.name = 'KeystoreError';
  }
}

/** What localStorage holds: the address in clear, the key and the identity sealed. */
export interface KeptAccount { address: string; account: KeyringPair$Json; identity: EncryptedJson }

export const MIN_PASSWORD_LENGTH = 8;
const STORAGE_KEY = 'gridchain.keystore';

/** The account of `uri` (a phrase) and its age identity, sealed with `password`. */
export function seal(uri: string, password: string): KeptAccount {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new KeystoreError(
      'WeakPassword',
      `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters: `
        + 'it alone protects the key kept in this browser.',
    );
  }
  const pair = accountFromUri(uri);
  const identity = ageIdentityOf(x25519Secret(uri));
  return {
    address: pair.address,
    account: pair.toJson(password),
    identity: jsonEncrypt(stringToU8a(identity), ['age-identity'], password),
  };
}

/** The account key, unlocked, and the age identity; a wrong password changes nothing. */
export async function unseal(kept: KeptAccount, password: string): Promise<{ pair: KeyringPair; ageKey: AgeKey }> {
  let pair: KeyringPair;
  try {
    pair = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromJson(kept.account);
  } catch (e) {
    throw new KeystoreError(
      'Damaged',
      `The account kept in this browser cannot be read (${(e as Error).message}): `
        + 'forget it and open the account with its phrase.',
    );
  }
  try {
    pair.unlock(password);
  } catch {
    throw new KeystoreError(
      'WrongPassword',
      'This password does not unlock the account kept in this browser: '
        + 'try again, or forget the account and open it with its phrase.',
    );
  }
  const identity = u8aToString(jsonDecrypt(kept.identity, password));
  return { pair, ageKey: await ageKeyOf(identity) };
}

// ---- where it is kept ---------------------------------------------------------------------------

/** The account this browser keeps, if any (one at most). */
export function keptAccount(storage: Storage = localStorage): KeptAccount | null {
  const text = storage.getItem(STORAGE_KEY);
  if (!text) return null;
  try {
    const kept = JSON.parse(text) as KeptAccount;
    return typeof kept.address === 'string' && kept.account && kept.identity ? kept : null;
  } catch {
    return null;
  }
}

export const keepAccount = (kept: KeptAccount, storage: Storage = localStorage) =>
  storage.setItem(STORAGE_KEY, JSON.stringify(kept));

export const forgetKeptAccount = (storage: Storage = localStorage) => storage.removeItem(STORAGE_KEY);
