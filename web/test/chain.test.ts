// The dashboard's node contract calls declare the document's capacity (SPEC §4.5, §9.2) as the
// chain's `Resources`, and the chain's refusals say what to do next.
import { readFileSync } from 'node:fs';
import type { ApiPromise } from '@polkadot/api';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { DispatchError } from '@polkadot/types/interfaces';
import { expect, test } from 'vitest';
import { GIB, capacity, parseDeployment } from '../src/deployment';
import { Chain, explain } from '../src/grid/chain';

const example = parseDeployment(
  readFileSync(new URL('../../deployment/testdata/example.json', import.meta.url), 'utf8'),
);
const declared = { cru: 2, sru: 60 * GIB, hru: 0, mru: 4 * GIB };

/** A chain whose transactions are recorded and final at once, with `events` as their events. */
function fakeChain(events: unknown[], contract: unknown = null) {
  const sent: { method: string; args: unknown[] }[] = [];
  const call = (method: string) => (...args: unknown[]) => {
    sent.push({ method, args });
    return {
      signAndSend: (_signer: unknown, _options: unknown, callback: (result: unknown) => void) => {
        callback({ status: { isInBlock: true, isFinalized: true }, events });
        return Promise.resolve(() => undefined);
      },
    };
  };
  const api = {
    tx: {
      smartContract: { createNodeContract: call('createNodeContract'), updateNodeContract: call('updateNodeContract') },
    },
    query: { smartContract: { contracts: async () => ({ toJSON: () => contract }) } },
  };
  const chain = new (Chain as unknown as new (api: unknown, url: string) => Chain)(api, 'ws://fake');
  return { chain, sent };
}

const signer = { pair: {} as KeyringPair };

test("a node contract is created with the document's capacity, in bytes, as the chain's four resources", async () => {
  const createdEvent = {
    event: {
      section: 'smartContract',
      method: 'ContractCreated',
      data: { toJSON: () => [7, 3, 1, [{ ip: '185.206.122.33/24', gateway: '185.206.122.1' }], 21_000_000, declared] },
    },
  };
  const { chain, sent } = fakeChain([createdEvent]);
  const reserved = capacity(example);
  expect(reserved).toEqual({ ...declared, public_ips: 1 });
  const created = await chain.createNodeContract(
    signer,
    1,
    new Uint8Array(32),
    new Uint8Array([1]),
    reserved.public_ips,
    reserved,
  );
  expect(created.contractId).toBe(7);
  expect(sent).toHaveLength(1);
  expect(sent[0].method).toBe('createNodeContract');
  expect(sent[0].args[3]).toBe(1);
  expect(sent[0].args[4]).toEqual(declared);
});

test("a node contract's update declares the new document's capacity", async () => {
  const { chain, sent } = fakeChain([]);
  await chain.updateNodeContract(signer, 7, new Uint8Array(32), new Uint8Array([1]), capacity(example));
  expect(sent[0].method).toBe('updateNodeContract');
  expect(sent[0].args).toHaveLength(4);
  expect(sent[0].args[3]).toEqual(declared);
});

test("a contract read from the chain carries its declared capacity", async () => {
  const stored = {
    version: 1, contractId: 7, twinId: 3, state: { created: null },
    contractType: {
      node: {
        nodeId: 1,
        deploymentHash: '0x' + '07'.repeat(32),
        deploymentData: '0x01',
        publicIpsList: [],
        capacity: { cru: 2, sru: 60 * GIB, hru: 0, mru: '0x0000000100000000' },
      },
    },
  };
  const { chain } = fakeChain([], stored);
  const c = await chain.contract(7);
  expect(c?.capacity).toEqual(declared);
});

test('a node without the free capacity asked is refused in words that say what to do next', () => {
  const api = {
    registry: {
      findMetaError: () => ({
        section: 'smartContract',
        name: 'NodeHasNotEnoughCapacity',
        docs: ["The node's free capacity does not cover the capacity asked."],
      }),
    },
  } as unknown as ApiPromise;
  const error = { isModule: true, asModule: {} } as unknown as DispatchError;
  const refusal = explain(api, error);
  expect(refusal.code).toBe('SmartContract::NodeHasNotEnoughCapacity');
  expect(refusal.message).toBe(
    "SmartContract::NodeHasNotEnoughCapacity: The node's free capacity does not cover the capacity asked. "
      + 'Ask for less, or find a node with more free capacity on the Grid page.',
  );
});
