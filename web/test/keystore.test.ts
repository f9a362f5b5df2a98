// A phrase account kept in the browser across reloads: sealed with a password, never the phrase
// or the key in clear; a wrong password is refused by name and changes nothing.
import { u8aToHex } from '@polkadot/util';
import { base64Encode, cryptoWaitReady, mnemonicGenerate, mnemonicToMiniSecret } from '@polkadot/util-crypto';
import { beforeAll, expect, test } from 'vitest';
import { accountFromUri, ageKeyFromUri } from '../src/identity';
import { KeystoreError, forgetKeptAccount, keepAccount, keptAccount, seal, unseal } from '../src/keystore';
import { remember, remembered } from '../src/session';

beforeAll(async () => { await cryptoWaitReady(); });

/** localStorage as the browser has it, in memory. */
class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() { return this.items.size; }
  clear() { this.items.clear(); }
  getItem(key: string) { return this.items.get(key) ?? null; }
  key(i: number) { return [...this.items.keys()][i] ?? null; }
  removeItem(key: string) { this.items.delete(key); }
  setItem(key: string, value: string) { this.items.set(key, String(value)); }
}

const phrase = mnemonicGenerate(12);
const password = 'correct horse battery';

test('a kept phrase account unlocks with its password: the same account key and encryption identity', async () => {
  const { pair, ageKey } = await unseal(seal(phrase, password), password);
  expect(pair.address).toBe(accountFromUri(phrase).address);
  expect(ageKey.identity).toBe((await ageKeyFromUri(phrase)).identity);
  const message = new Uint8Array([1, 2, 3]);
  expect(accountFromUri(phrase).verify(message, pair.sign(message), pair.publicKey)).toBe(true);
});

test('a wrong password is refused by name and leaves the kept account as it was', async () => {
  const storage = new MemoryStorage();
  keepAccount(seal(phrase, password), storage);
  const before = storage.getItem('gridchain.keystore');
  const refused = await unseal(keptAccount(storage)!, 'not the password').catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(KeystoreError);
  expect((refused as KeystoreError).code).toBe('WrongPassword');
  expect((refused as KeystoreError).message).toMatch(/^This password does not unlock the account kept in this browser/);
  expect(storage.getItem('gridchain.keystore')).toBe(before);
  expect((await unseal(keptAccount(storage)!, password)).pair.address).toBe(accountFromUri(phrase).address);
});

test('what the browser keeps holds neither the phrase, nor the secret key, nor the encryption identity', async () => {
  const storage = new MemoryStorage();
  keepAccount(seal(phrase, password), storage);
  const kept = storage.getItem('gridchain.keystore')!;
  const pair = accountFromUri(phrase);
  const secrets = [
    phrase, ...phrase.split(' ').filter((w) => w.length > 5).map((w) => `"${w}`),
    u8aToHex(mnemonicToMiniSecret(phrase)).slice(2), base64Encode(mnemonicToMiniSecret(phrase)),
    u8aToHex(pair.encodePkcs8()).slice(2), base64Encode(pair.encodePkcs8()),
    (await ageKeyFromUri(phrase)).identity, password,
  ];
  for (const secret of secrets) expect(kept.toLowerCase()).not.toContain(secret.toLowerCase());
  expect(JSON.parse(kept).address).toBe(pair.address);
});

test('a password shorter than 8 characters is refused before anything is kept', () => {
  expect(() => seal(phrase, 'short')).toThrow(KeystoreError);
  try { seal(phrase, 'short'); } catch (e) { expect((e as KeystoreError).code).toBe('WeakPassword'); }
});

test('forgetting the kept account removes it from the browser', () => {
  const storage = new MemoryStorage();
  keepAccount(seal(phrase, password), storage);
  forgetKeptAccount(storage);
  expect(keptAccount(storage)).toBeNull();
  expect(storage.length).toBe(0);
});

test('who is signed in is remembered without a key: a dev URI, a wallet account, a phrase account by address', () => {
  const storage = new MemoryStorage();
  remember({ kind: 'dev', uri: '//Ferdie' }, storage);
  expect(remembered(storage)).toEqual({ kind: 'dev', uri: '//Ferdie' });
  remember({ kind: 'phrase', address: accountFromUri(phrase).address }, storage);
  expect(storage.getItem('gridchain.signedIn')).not.toContain(phrase.split(' ')[0] + ' ');
  remember(null, storage);
  expect(remembered(storage)).toBeNull();
  storage.setItem('gridchain.signedIn', '{"kind":"other"}');
  expect(remembered(storage)).toBeNull();
});
