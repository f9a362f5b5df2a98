// The web's §9 code against the golden vectors the Rust crate writes (deployment/testdata/).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { hexToU8a, stringToU8a, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady, sr25519PairFromSeed, sr25519Sign } from '@polkadot/util-crypto';
import {
  capacity, canonical, challenge, ed25519Signer, hashHex, parseDeployment, sign,
  validate, verifyRaw, verifySignatures, verifyUpdate,
} from '../src/deployment';
import { ageKeyFromUri, decryptDeployment, encryptDeployment, x25519Secret } from '../src/identity';
import { ruleOf } from './support';

const dir = new URL('../../deployment/testdata/', import.meta.url);
const vectors = JSON.parse(readFileSync(new URL('vectors.json', dir), 'utf8'));
const utf8Length = (s: string) => new TextEncoder().encode(s).length;

beforeAll(async () => { await cryptoWaitReady(); });

describe('documents', () => {
  test('the SPEC example hashes to the SPEC hash from the 805 challenge bytes', () => {
    const doc = parseDeployment(readFileSync(new URL('example.json', dir), 'utf8'));
    const expected = readFileSync(new URL('example.challenge.json', dir), 'utf8');
    expect(challenge(doc)).toBe(expected);
    expect(utf8Length(expected)).toBe(805);
    expect(hashHex(doc)).toBe('0x7082394bfe07f0245af427e5a859ba995422a48f98d50a4cb919e9cc174696fc');
  });

  for (const v of vectors.documents) {
    test(`${v.name}: challenge, hash, canonical form, capacity and signatures`, async () => {
      const doc = parseDeployment(v.input);
      validate(doc);
      const c = challenge(doc);
      expect(c).toBe(v.challenge);
      expect(utf8Length(c)).toBe(v.challenge_length);
      expect(hashHex(doc)).toBe(v.hash);
      expect(u8aToHex(blake2AsU8a(stringToU8a(c), 256))).toBe(v.hash);
      expect(canonical(doc)).toBe(v.canonical);
      expect(capacity(doc)).toEqual(v.capacity);

      const hash = hexToU8a(v.hash);
      const ed = ed25519Signer(hexToU8a(v.ed25519.seed));
      expect(u8aToHex(ed.publicKey)).toBe(v.ed25519.public_key);
      const edSigned = await sign(doc, v.ed25519.twin_id, ed);
      const ours = edSigned.signature_requirement.signatures.find((s) => s.twin_id === v.ed25519.twin_id);
      expect(ours?.signature).toBe(v.ed25519.signature);
      expect(hashHex(edSigned)).toBe(v.hash);

      const sr = sr25519PairFromSeed(hexToU8a(v.sr25519.seed));
      expect(u8aToHex(sr.publicKey)).toBe(v.sr25519.public_key);
      expect(verifyRaw('sr25519', v.sr25519.signature, sr.publicKey, hash)).toBe(true);
      expect(verifyRaw('sr25519', u8aToHex(sr25519Sign(hash, sr)), sr.publicKey, hash)).toBe(true);
      expect(verifyRaw('sr25519', v.sr25519.signature, sr.publicKey, hexToU8a(v.ed25519.public_key))).toBe(false);
    });
  }
});

describe('signature rules (SPEC §9.4)', () => {
  const accountsOf = (v: { accounts: Record<string, string> }) => (twin: number) =>
    v.accounts[String(twin)] === undefined ? undefined : hexToU8a(v.accounts[String(twin)]);
  for (const v of vectors.signature_checks) {
    test(v.name, () => {
      const doc = parseDeployment(v.input);
      if (v.expect.ok) expect(verifySignatures(doc, accountsOf(v))).toEqual(v.expect.ok);
      else expect(ruleOf(() => verifySignatures(doc, accountsOf(v)))).toEqual(v.expect.error);
    });
  }
  for (const v of vectors.update_checks) {
    test(`update: ${v.name}`, () => {
      const [old, next] = [parseDeployment(v.old), parseDeployment(v.new)];
      if (v.expect.ok) expect(verifyUpdate(old, next, accountsOf(v))).toEqual(v.expect.ok);
      else expect(ruleOf(() => verifyUpdate(old, next, accountsOf(v)))).toEqual(v.expect.error);
    });
  }
});

describe('invalid documents', () => {
  for (const v of vectors.invalid_documents) {
    test(`${v.name} is refused (${v.stage === 'parse' ? `at ${v.path}` : v.rule})`, () => {
      if (v.stage === 'parse') {
        const e = ruleOf(() => parseDeployment(v.input));
        expect(e.rule).toBe('Parse');
        expect(String(e.details.path)).toContain(v.path);
      } else {
        const doc = parseDeployment(v.input);
        expect(ruleOf(() => validate(doc)).rule).toBe(v.rule);
      }
    });
  }
});

describe('identities and age (SPEC §9.5)', () => {
  for (const v of vectors.identities) {
    test(`the X25519 key of ${v.uri}`, async () => {
      expect(u8aToHex(x25519Secret(v.uri))).toBe(v.x25519_secret);
      const key = await ageKeyFromUri(v.uri);
      expect(key.identity).toBe(v.age_identity);
      expect(key.recipient).toBe(v.age_recipient);
      expect(u8aToHex(key.publicKey)).toBe(v.x25519_public);
    });
  }

  test('the Rust ciphertext decrypts here, and ours decrypts back', async () => {
    const age = vectors.age;
    const doc = await decryptDeployment(hexToU8a(`0x${age.ciphertext_hex}`), age.age_identity);
    expect(canonical(doc)).toBe(age.plaintext);
    const alice = await ageKeyFromUri(age.identity_uri);
    const ours = await encryptDeployment(doc, [alice.recipient]);
    expect(canonical(await decryptDeployment(ours, alice.identity))).toBe(age.plaintext);
    const bob = await ageKeyFromUri('//Bob');
    await expect(decryptDeployment(ours, bob.identity)).rejects.toThrow(/cannot decrypt/);
  });
});
