// Updates numbered from what the node runs (SPEC §9.1), the document that puts it back, the
// check of a node's word before it is signed again, and the diff shown before signing.
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { type Deployment, GIB, hashHex, sign, verifyUpdate } from '../src/deployment';
import { buildDocument, newForm } from '../src/deploymentForm';
import { signerOf } from '../src/identity';
import { checkRunning, diff, nextVersion, ownerAloneSatisfies, recoveryDocument, shrunkDisks } from '../src/updates';
import { ruleOf } from './support';

const [DAVE, EVE] = [4, 5];
let pairs: Record<number, KeyringPair>;
const accounts = (twin: number) => pairs[twin]?.publicKey;

beforeAll(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  pairs = { [DAVE]: keyring.addFromUri('//Dave'), [EVE]: keyring.addFromUri('//Eve') };
});

/** Dave's web VM with a 10 GiB disk and an IP, as the deploy form writes it, for contract 7. */
function deployed(): Deployment {
  const built = buildDocument(newForm(1), { twinId: DAVE });
  if (!built.doc) throw new Error(JSON.stringify(built.errors));
  return { ...built.doc, contract_id: 7 };
}

const withMemory = (doc: Deployment, gib: number): Deployment => ({
  ...doc,
  workloads: doc.workloads.map((w) => (w.type === 'vm' ? { ...w, data: { ...w.data, memory: gib * GIB } } : w)),
});

describe('an update is numbered from the document the node runs', () => {
  test('the next version is the running version plus one, whatever the chain counts', () => {
    const running = { ...deployed(), version: 1 };
    expect(nextVersion(running, withMemory(running, 2)).version).toBe(2);
  });

  test('a changed workload carries the new version, unchanged ones keep theirs', () => {
    const running = deployed();
    const next = nextVersion(running, withMemory(running, 2));
    expect(next.workloads.map((w) => [w.name, w.version])).toEqual([['web', 1], ['web_data', 0], ['web_ip', 0]]);
  });

  test('an added workload carries the new version', () => {
    const running = deployed();
    const more = {
      version: 0,
      name: 'more',
      type: 'disk' as const,
      description: '',
      data: { size: GIB, kind: 'hdd' as const },
    };
    const added = { ...running, workloads: [...running.workloads, more] };
    expect(nextVersion(running, added).workloads.find((w) => w.name === 'more')?.version).toBe(1);
  });

  test('the update keeps the running contract and owner, and drops the old signatures', async () => {
    const running = await sign(deployed(), DAVE, signerOf(pairs[DAVE]));
    const next = nextVersion(running, { ...withMemory(running, 2), contract_id: 0 });
    expect([next.contract_id, next.twin_id, next.signature_requirement.signatures]).toEqual([7, DAVE, []]);
  });
});

describe('putting back what the node runs', () => {
  test('the recovery document is the running one, version + 1, every workload keeping its version', () => {
    const running = { ...deployed(), version: 3 };
    const back = recoveryDocument(running);
    expect(back.version).toBe(4);
    expect(back.workloads).toEqual(running.workloads);
    expect(hashHex(back)).not.toBe(hashHex(running));
  });

  test('signed by the owner, it satisfies the update rules against the running document', async () => {
    const running = await sign(deployed(), DAVE, signerOf(pairs[DAVE]));
    const back = await sign(recoveryDocument(running), DAVE, signerOf(pairs[DAVE]));
    expect(verifyUpdate(running, back, accounts).signers).toEqual([DAVE]);
  });

  test('a requirement naming a required co-signer needs the co-signer for the recovery too', () => {
    const running = deployed();
    running.signature_requirement.requests.push({ twin_id: EVE, weight: 1, required: true });
    running.signature_requirement.weight_required = 2;
    expect(ownerAloneSatisfies(recoveryDocument(running), DAVE)).toBe(false);
    expect(ownerAloneSatisfies(deployed(), DAVE)).toBe(true);
  });
});

describe("the node's running document is checked before it is signed again", () => {
  const expected = { contractId: 7, twinId: DAVE };

  test('a document of this contract and owner, signed by the owner, is taken', async () => {
    const running = await sign(deployed(), DAVE, signerOf(pairs[DAVE]));
    expect(checkRunning(running, expected, accounts)).toEqual(running);
  });

  test('a tampered document (its image changed after signing) is refused', async () => {
    const running = await sign(deployed(), DAVE, signerOf(pairs[DAVE]));
    const tampered: Deployment = {
      ...running,
      workloads: running.workloads.map((w) => (
        w.type === 'vm' ? { ...w, data: { ...w.data, image: 'docker.io/evil/miner:1' } } : w
      )),
    };
    expect(ruleOf(() => checkRunning(tampered, expected, accounts)).rule).toBe('BadSignature');
  });

  test('an unsigned document is refused', () => {
    expect(ruleOf(() => checkRunning(deployed(), expected, accounts)).rule).toBe('RequiredSignerMissing');
  });

  test("another contract's document is refused", async () => {
    const other = await sign({ ...deployed(), contract_id: 8 }, DAVE, signerOf(pairs[DAVE]));
    expect(ruleOf(() => checkRunning(other, expected, accounts)).rule).toBe('RunningOfAnotherContract');
  });

  test("another twin's document, signed by that twin, is refused", async () => {
    const eves = buildDocument(newForm(1), { twinId: EVE }).doc!;
    const signed = await sign({ ...eves, contract_id: 7 }, EVE, signerOf(pairs[EVE]));
    expect(ruleOf(() => checkRunning(signed, expected, accounts)).rule).toBe('RunningOfAnotherTwin');
  });

  test('a signature by a dropped co-signer must verify too', async () => {
    const running = await sign(deployed(), DAVE, signerOf(pairs[DAVE]));
    const { signatures } = running.signature_requirement;
    const davesSignatureAsEves = { twin_id: EVE, key_type: 'sr25519' as const, signature: signatures[0].signature };
    const forged = {
      ...running,
      signature_requirement: { ...running.signature_requirement, signatures: [...signatures, davesSignatureAsEves] },
    };
    expect(ruleOf(() => checkRunning(forged, expected, accounts)).rule).toBe('BadSignature');
  });
});

describe('what an update changes', () => {
  test('each changed field, old and new, in GiB', () => {
    const running = deployed();
    expect(diff(running, nextVersion(running, withMemory(running, 200))))
      .toEqual([{ what: 'VM web: memory', before: '1 GiB', after: '200 GiB' }]);
  });

  test('an added or removed workload is named', () => {
    const running = deployed();
    const noIp = {
      ...running,
      workloads: running.workloads
        .filter((w) => w.type !== 'public_ip')
        .map((w) => (w.type === 'vm' ? { ...w, data: { ...w.data, public_ip: '' } } : w)),
    };
    expect(diff(running, noIp)).toEqual([
      { what: 'VM web: public IP', before: 'web_ip', after: '(none)' },
      { what: 'public IPv4 web_ip', before: 'present', after: 'removed' },
    ]);
  });

  test('nothing changed, nothing listed; the versions alone are no change', () => {
    const running = deployed();
    expect(diff(running, recoveryDocument(running))).toEqual([]);
  });

  test('a disk that would shrink is named', () => {
    const running = deployed();
    const smaller = {
      ...running,
      workloads: running.workloads.map((w) => (w.type === 'disk' ? { ...w, data: { ...w.data, size: 5 * GIB } } : w)),
    };
    expect(shrunkDisks(running, smaller))
      .toEqual(['Data disk web_data: a disk can only grow; it holds 10 GiB, this asks for 5 GiB.']);
  });
});
