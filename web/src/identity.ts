// Keys of SPEC §9.5: the account key and the X25519 (age) identity, both from one secret URI;
// the random identity of a wallet account and the file it is kept in; and age encryption of
// `deployment_data`.

import { Keyring } from '@polkadot/keyring';
import { DEV_PHRASE } from '@polkadot/keyring/defaults';
import type { KeyringPair } from '@polkadot/keyring/types';
import { hexToU8a, stringToU8a, u8aConcat, u8aEq } from '@polkadot/util';
import { blake2AsU8a, mnemonicToMiniSecret, mnemonicValidate, randomAsU8a } from '@polkadot/util-crypto';
import { bech32 } from '@scure/base';
import { Decrypter, Encrypter, identityToRecipient } from 'age-encryption';
import {
  DeploymentError, MAX_DEPLOYMENT_DATA, canonical, type Deployment, readDeployment, type Signer,
} from './deployment';

const X25519_DOMAIN = 'gridchain:x25519:v1';

/** A secret URI split as §9.5 says: the phrase before the first `/`, the path from it on. */
export function splitUri(uri: string): { phrase: string; path: string } {
  const slash = uri.indexOf('/');
  const phrase = (slash < 0 ? uri : uri.slice(0, slash)).trim();
  const path = slash < 0 ? '' : uri.slice(slash);
  if (path.includes('///')) throw new DeploymentError('Key', 'a secret URI with a `///password` is not supported');
  return { phrase: phrase === '' ? DEV_PHRASE : phrase, path };
}

/** The 32-byte BIP39 mini secret of a phrase (empty password), or a `0x…` seed itself. */
export function miniSecret(phrase: string): Uint8Array {
  if (/^0x[0-9a-fA-F]{64}$/.test(phrase)) return hexToU8a(phrase);
  if (!mnemonicValidate(phrase)) throw new DeploymentError('Key', 'the phrase is not a valid BIP39 mnemonic');
  return mnemonicToMiniSecret(phrase, '');
}

/** `BLAKE2b-256("gridchain:x25519:v1" ‖ mini_secret ‖ path)`. */
export function x25519Secret(uri: string): Uint8Array {
  const { phrase, path } = splitUri(uri);
  return blake2AsU8a(u8aConcat(stringToU8a(X25519_DOMAIN), miniSecret(phrase), stringToU8a(path)), 256);
}

/** `AGE-SECRET-KEY-1…` of a raw X25519 secret. */
export function ageIdentityOf(secret: Uint8Array): string {
  return bech32.encode('age-secret-key-', bech32.toWords(secret), false).toUpperCase();
}

/** `age1…` of a raw X25519 public key (a twin's `pk`). */
export function ageRecipientOf(publicKey: Uint8Array): string {
  return bech32.encode('age', bech32.toWords(publicKey), false);
}

/** The raw X25519 public key of an `age1…` recipient. */
export function publicKeyOfRecipient(recipient: string): Uint8Array {
  const { prefix, words } = bech32.decode(recipient as `${string}1${string}`, false);
  if (prefix !== 'age') throw new DeploymentError('Key', `${recipient} is not an age1… recipient`);
  return bech32.fromWords(words);
}

/** An age identity with the public key a twin publishes as `pk`. */
export interface AgeKey { identity: string; recipient: string; publicKey: Uint8Array }

export async function ageKeyOf(identity: string): Promise<AgeKey> {
  const recipient = await identityToRecipient(identity);
  return { identity, recipient, publicKey: publicKeyOfRecipient(recipient) };
}

/** The age key §9.5 derives from a secret URI. */
export const ageKeyFromUri = (uri: string) => ageKeyOf(ageIdentityOf(x25519Secret(uri)));

/** The sr25519 account key of a secret URI (a phrase, or `//Alice` on a dev chain). */
export function accountFromUri(uri: string): KeyringPair {
  splitUri(uri);
  return new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(uri);
}

/** A §9.4 signer of an account key held by the page. */
export const signerOf = (pair: KeyringPair): Signer => ({ keyType: 'sr25519', sign: async (m) => pair.sign(m) });

/** A random age identity: the encryption key of a wallet account, which has no phrase to derive
 * one from (§9.5; sr25519 signatures are randomized, so none can be derived from a signature either). */
export const randomAgeKey = () => ageKeyOf(ageIdentityOf(randomAsU8a(32)));

/** Whether `key` is the one a twin publishes as `pk`. */
export const isTwinKey = (key: AgeKey, pk: Uint8Array | null) => pk !== null && u8aEq(key.publicKey, pk);

/** The identity as `age-keygen` writes a file: `age -d -i FILE` reads it, and so does
 * {@link identityFromText}. */
export function identityFile(key: AgeKey, note: string, created = new Date()): string {
  return `# created: ${created.toISOString().replace(/\.\d+Z$/, 'Z')}\n# public key: ${key.recipient}\n# ${note}\n${key.identity}\n`;
}

/** The one identity in a pasted text or an identity file (`#` lines are comments). */
export async function identityFromText(text: string): Promise<AgeKey> {
  const keys = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const notAnIdentity = new DeploymentError(
    'Key',
    'this is not an age identity: paste the line AGE-SECRET-KEY-1… or load the identity file you saved',
  );
  if (keys.length !== 1 || !/^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(keys[0])) throw notAnIdentity;
  try {
    return await ageKeyOf(keys[0]);
  } catch {
    throw notAnIdentity;
  }
}

/** `deployment_data`: the canonical document, signatures included, encrypted to the recipients. */
export async function encryptDeployment(doc: Deployment, recipients: string[]): Promise<Uint8Array> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const data = await e.encrypt(canonical(doc));
  if (data.length > MAX_DEPLOYMENT_DATA) {
    throw new DeploymentError(
      'TooLarge',
      `the encrypted deployment is ${data.length} bytes, over the ${MAX_DEPLOYMENT_DATA} bytes a contract holds: `
        + 'remove workloads, keys or variables',
    );
  }
  return data;
}

/** A contract's `deployment_data` decrypted and read back. */
export async function decryptDeployment(data: Uint8Array, identity: string): Promise<Deployment> {
  const d = new Decrypter();
  d.addIdentity(identity);
  let text: string;
  try {
    text = await d.decrypt(data, 'text');
  } catch (e) {
    throw new DeploymentError('Decrypt', `this key cannot decrypt the deployment: ${(e as Error).message}`);
  }
  return readDeployment(JSON.parse(text));
}
