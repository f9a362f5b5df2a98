// A wallet account as the page uses it: its signRaw as a byte signer (what an extension returns,
// and how a request to an agent is signed with it), and its random encryption identity kept in a
// file that the standard age tool reads and that the page restores.
import { Keyring } from '@polkadot/keyring';
import { hexToU8a, u8aToHex, u8aWrapBytes } from '@polkadot/util';
import type { SignerPayloadRaw } from '@polkadot/types/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterEach, beforeAll, expect, test, vi } from 'vitest';
import { verifyRaw } from '../src/deployment';
import { AgentClient, requestMessage } from '../src/grid/agent';
import {
  ageKeyFromUri, decryptDeployment, encryptDeployment, identityFile, identityFromText, isTwinKey, randomAgeKey,
} from '../src/identity';
import { plainSignature, rawSigner, walletAccountOf } from '../src/wallet';
import { parseDeployment } from '../src/deployment';
import { readFileSync } from 'node:fs';

beforeAll(async () => { await cryptoWaitReady(); });
afterEach(() => { vi.unstubAllGlobals(); });

const example = parseDeployment(
  readFileSync(new URL('../../deployment/testdata/example.json', import.meta.url), 'utf8'),
);

/** An extension's signRaw over a keyring (as polkadot.js extension signs: the bytes wrapped),
 * recording what it was asked. */
function extension(uri: string) {
  const pair = new Keyring({ type: 'sr25519' }).addFromUri(uri);
  const asked: SignerPayloadRaw[] = [];
  const signRaw = async (raw: SignerPayloadRaw) => {
    asked.push(raw);
    return { id: asked.length, signature: u8aToHex(pair.sign(u8aWrapBytes(hexToU8a(raw.data)))) };
  };
  return { pair, asked, signRaw };
}

test("the page asks the wallet to sign the bytes themselves, as 'bytes', for the account", async () => {
  const wallet = extension('//Eve');
  const message = new Uint8Array([1, 2, 3]);
  const signature = await rawSigner(wallet.pair.address, 'sr25519', wallet.signRaw).sign(message);
  expect(wallet.asked).toEqual([{ address: wallet.pair.address, data: '0x010203', type: 'bytes' }]);
  expect(verifyRaw('sr25519', u8aToHex(signature), wallet.pair.publicKey, message)).toBe(true);
});

test('a wallet that refuses is named as the one that did not sign', async () => {
  const signer = rawSigner('5F', 'sr25519', async () => { throw new Error('Cancelled'); });
  await expect(signer.sign(new Uint8Array([1]))).rejects.toThrow(/your wallet did not sign: Cancelled/);
});

test('a signature with its MultiSignature type byte is read as its 64 bytes; anything else is refused', () => {
  const sig = new Uint8Array(64).fill(9);
  expect(plainSignature(new Uint8Array([1, ...sig]), 'sr25519')).toEqual(sig);
  expect(plainSignature(new Uint8Array([0, ...sig]), 'ed25519')).toEqual(sig);
  expect(plainSignature(sig, 'sr25519')).toEqual(sig);
  expect(() => plainSignature(new Uint8Array([0, ...sig]), 'sr25519')).toThrow(/65-byte signature/);
  expect(() => plainSignature(new Uint8Array(33), 'sr25519')).toThrow(/33-byte/);
});

test('an account a wallet offers: sr25519 and ed25519 can own a twin, ecdsa and ethereum cannot', () => {
  const of = (type?: 'sr25519' | 'ed25519' | 'ecdsa' | 'ethereum') =>
    walletAccountOf({ address: 'a', meta: { name: 'n', source: 'w' }, type }).keyType;
  expect([of('sr25519'), of('ed25519'), of('ecdsa'), of('ethereum'), of()])
    .toEqual(['sr25519', 'ed25519', null, null, 'sr25519']);
});

test("a request to an agent signed in a wallet verifies over the request's message (§10)", async () => {
  const wallet = extension('//Ferdie');
  const sent: RequestInit[] = [];
  vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
    sent.push(init);
    return new Response(JSON.stringify({ contract_id: 7, workload: 'web', lines: [] }), { status: 200 });
  });
  await new AgentClient('http://node:8080', 6, rawSigner(wallet.pair.address, 'sr25519', wallet.signRaw)).logs(7, 'web', 5);
  const headers = sent[0].headers as Record<string, string>;
  const message = requestMessage(
    'GET',
    '/v1/deployments/7/logs?workload=web&tail=5',
    Number(headers['x-grid-timestamp']),
    new Uint8Array(),
  );
  expect(wallet.asked[0].data).toBe(u8aToHex(message));
  expect(headers['x-grid-signature']).toMatch(/^sr25519:0x[0-9a-f]{128}$/);
  const signature = headers['x-grid-signature'].slice('sr25519:'.length);
  expect(verifyRaw('sr25519', signature, wallet.pair.publicKey, message)).toBe(true);
});

test('a random identity is saved as age-keygen writes it, restored from that file, and decrypts', async () => {
  const key = await randomAgeKey();
  expect(key.identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
  expect(key.identity).not.toBe((await randomAgeKey()).identity);
  const file = identityFile(key, 'a note', new Date('2026-01-02T03:04:05.678Z'));
  expect(file).toBe(`# created: 2026-01-02T03:04:05Z\n# public key: ${key.recipient}\n# a note\n${key.identity}\n`);
  const restored = await identityFromText(file);
  expect(restored.recipient).toBe(key.recipient);
  expect(isTwinKey(restored, key.publicKey)).toBe(true);
  expect((await identityFromText(`  ${key.identity}\r\n`)).identity).toBe(key.identity);
  const data = await encryptDeployment(example, [key.recipient]);
  expect((await decryptDeployment(data, restored.identity)).twin_id).toBe(example.twin_id);
});

test("another identity is not the twin's key, and text that is no identity is refused", async () => {
  const key = await randomAgeKey();
  const other = await ageKeyFromUri('//Alice');
  expect(isTwinKey(other, key.publicKey)).toBe(false);
  expect(isTwinKey(key, null)).toBe(false);
  await expect(identityFromText('hello')).rejects.toThrow(/not an age identity/);
  await expect(identityFromText(`${key.identity}\n${other.identity}`)).rejects.toThrow(/not an age identity/);
  await expect(identityFromText('AGE-SECRET-KEY-1QQQQ')).rejects.toThrow(/not an age identity/);
});
