// SPEC §9.4 beyond the golden vectors: wallet (wrapped) signatures, and how an update is judged —
// the issue 25 team of Charlie (required), Dave and Eve that drops Eve.
import { readFileSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { hexToU8a, u8aToHex, u8aWrapBytes } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  type Deployment, type Signer, type SignatureRequest, deploymentHash, ed25519Signer,
  parseDeployment, sign, verifyRaw, verifySignatures, verifyUpdate, wrapped,
} from '../src/deployment';
import { signerOf } from '../src/identity';
import { rawSigner } from '../src/wallet';
import { ruleOf } from './support';

const example = parseDeployment(
  readFileSync(new URL('../../deployment/testdata/example.json', import.meta.url), 'utf8'),
);
const [CHARLIE, DAVE, EVE, FERDIE] = [3, 4, 5, 6];
let pairs: Record<number, KeyringPair>;
let accounts: (twin: number) => Uint8Array | undefined;

beforeAll(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  pairs = {
    [CHARLIE]: keyring.addFromUri('//Charlie'),
    [DAVE]: keyring.addFromUri('//Dave'),
    [EVE]: keyring.addFromUri('//Eve'),
    [FERDIE]: keyring.addFromUri('//Ferdie'),
  };
  accounts = (twin) => pairs[twin]?.publicKey;
});

/** What an extension does with `signRaw({type: 'bytes'})`: signs the bytes wrapped by `u8aWrapBytes`. */
const walletOf = (pair: KeyringPair): Signer => rawSigner(pair.address, 'sr25519', async ({ data }) => ({
  id: 1,
  signature: u8aToHex(pair.sign(u8aWrapBytes(hexToU8a(data)))),
}));

function withRequirement(
  doc: Deployment,
  requests: [number, number, boolean][],
  weightRequired: number,
  version = doc.version,
): Deployment {
  const toRequest = ([twin_id, weight, required]: [number, number, boolean]): SignatureRequest =>
    ({ twin_id, weight, required });
  return {
    ...doc,
    version,
    twin_id: CHARLIE,
    signature_requirement: { requests: requests.map(toRequest), weight_required: weightRequired, signatures: [] },
  };
}

async function signedBy(
  doc: Deployment,
  twins: number[],
  signer = (t: number) => signerOf(pairs[t]),
): Promise<Deployment> {
  let d = doc;
  for (const t of twins) d = await sign(d, t, signer(t));
  return d;
}

describe('wallet signatures', () => {
  test('an sr25519 signature over the wrapped hash verifies, as one over the hash does', async () => {
    const hash = deploymentHash(example);
    const charlie = pairs[CHARLIE];
    const byWallet = u8aToHex(await walletOf(charlie).sign(hash));
    expect(verifyRaw('sr25519', byWallet, charlie.publicKey, hash)).toBe(true);
    expect(verifyRaw('sr25519', u8aToHex(charlie.sign(hash)), charlie.publicKey, hash)).toBe(true);
    expect(verifyRaw('sr25519', byWallet, pairs[DAVE].publicKey, hash)).toBe(false);
  });

  test('an ed25519 signature over the wrapped hash verifies', async () => {
    const ed = ed25519Signer(new Uint8Array(32).fill(7));
    const hash = deploymentHash(example);
    expect(verifyRaw('ed25519', u8aToHex(await ed.sign(wrapped(hash))), ed.publicKey, hash)).toBe(true);
  });

  test('the wrapped form is <Bytes> ‖ bytes ‖ </Bytes>, what u8aWrapBytes makes', () => {
    const hash = deploymentHash(example);
    expect(u8aToHex(wrapped(hash))).toBe(u8aToHex(u8aWrapBytes(hash)));
    expect(new TextDecoder().decode(wrapped(new TextEncoder().encode('x')))).toBe('<Bytes>x</Bytes>');
  });

  test('a signature over another wrapping, or wrapped twice, does not verify', async () => {
    const hash = deploymentHash(example);
    const charlie = pairs[CHARLIE];
    const twice = u8aToHex(charlie.sign(wrapped(wrapped(hash))));
    const ethereumPrefix = new TextEncoder().encode('\x19Ethereum Signed Message:\n32');
    const ethereum = u8aToHex(charlie.sign(new Uint8Array([...ethereumPrefix, ...hash])));
    expect(verifyRaw('sr25519', twice, charlie.publicKey, hash)).toBe(false);
    expect(verifyRaw('sr25519', ethereum, charlie.publicKey, hash)).toBe(false);
  });

  test('a document signed in wallets satisfies its requirement', async () => {
    const unsigned = withRequirement(example, [[CHARLIE, 1, true], [DAVE, 1, false]], 2);
    const doc = await signedBy(unsigned, [CHARLIE, DAVE], (t) => walletOf(pairs[t]));
    expect(verifySignatures(doc, accounts)).toEqual({ signers: [CHARLIE, DAVE], weight: 2 });
  });
});

describe('an update is judged by the new requirement and the old one (§9.4)', () => {
  // The team of issue 25: Charlie required, Dave, Eve; two of three.
  const team = () => withRequirement(example, [[CHARLIE, 1, true], [DAVE, 1, false], [EVE, 1, false]], 2);
  const charlieAlone = () => withRequirement(example, [[CHARLIE, 1, true]], 1, example.version + 1);

  test('the old quorum drops a co-signer: Charlie and Dave sign "Charlie alone"', async () => {
    const next = await signedBy(charlieAlone(), [CHARLIE, DAVE]);
    expect(verifyUpdate(team(), next, accounts)).toEqual({ signers: [CHARLIE, DAVE], weight: 1 });
  });

  test('the same update signed in wallets', async () => {
    const next = await signedBy(charlieAlone(), [CHARLIE, DAVE], (t) => walletOf(pairs[t]));
    expect(verifyUpdate(team(), next, accounts)).toEqual({ signers: [CHARLIE, DAVE], weight: 1 });
  });

  test('less than the old quorum cannot: Charlie alone', async () => {
    const next = await signedBy(charlieAlone(), [CHARLIE]);
    expect(ruleOf(() => verifyUpdate(team(), next, accounts)))
      .toEqual({ rule: 'PreviousWeightBelowThreshold', details: { weight: 1, weight_required: 2 } });
  });

  test('the old quorum without its required twin cannot', async () => {
    const next = await signedBy(withRequirement(example, [[DAVE, 1, true]], 1, 1), [DAVE, EVE]);
    expect(ruleOf(() => verifyUpdate(team(), next, accounts)))
      .toEqual({ rule: 'PreviousRequiredSignerMissing', details: { twin_id: CHARLIE } });
  });

  test('the new requirement is judged first', async () => {
    const next = await signedBy(charlieAlone(), [DAVE, EVE]);
    expect(ruleOf(() => verifyUpdate(team(), next, accounts)))
      .toEqual({ rule: 'RequiredSignerMissing', details: { twin_id: CHARLIE } });
  });

  test('a co-signer the update adds must sign it too', async () => {
    const unsigned = withRequirement(example, [[CHARLIE, 1, true], [FERDIE, 1, true]], 2, 1);
    const next = await signedBy(unsigned, [CHARLIE, DAVE, EVE]);
    expect(ruleOf(() => verifyUpdate(team(), next, accounts)))
      .toEqual({ rule: 'RequiredSignerMissing', details: { twin_id: FERDIE } });
  });

  test('a twin neither requirement names may not sign', async () => {
    const next = await signedBy(charlieAlone(), [CHARLIE, DAVE, FERDIE]);
    expect(ruleOf(() => verifyUpdate(team(), next, accounts)))
      .toEqual({ rule: 'UnknownSigner', details: { twin_id: FERDIE } });
  });

  test('a signature of the old version does not sign the new one', async () => {
    const old = await signedBy(team(), [CHARLIE, DAVE]);
    const next = charlieAlone();
    next.signature_requirement.signatures = [...old.signature_requirement.signatures];
    expect(ruleOf(() => verifyUpdate(team(), next, accounts)))
      .toEqual({ rule: 'BadSignature', details: { twin_id: CHARLIE } });
  });

  test("the new requirement's shape is checked before the old one's", async () => {
    const broken = { ...team(), signature_requirement: { ...team().signature_requirement, weight_required: 0 } };
    const next = await signedBy(charlieAlone(), [CHARLIE, DAVE]);
    expect(ruleOf(() => verifyUpdate(broken, next, accounts)).rule).toBe('WeightRequiredZero');
    const nextBroken = { ...next, signature_requirement: { ...next.signature_requirement, requests: [] } };
    expect(ruleOf(() => verifyUpdate(broken, nextBroken, accounts)).rule).toBe('NoRequests');
  });

  test('a new document judged alone still refuses a signer its requirement does not name', async () => {
    const next = await signedBy(charlieAlone(), [CHARLIE, DAVE]);
    expect(ruleOf(() => verifySignatures(next, accounts)))
      .toEqual({ rule: 'UnknownSigner', details: { twin_id: DAVE } });
  });
});
