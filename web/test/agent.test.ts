// The dashboard's requests to a node's agent (SPEC §10): the signature covers the path with its query string.
import { u8aToString } from '@polkadot/util';
import { cryptoWaitReady, signatureVerify } from '@polkadot/util-crypto';
import { afterEach, beforeAll, expect, test, vi } from 'vitest';
import { AgentClient, logsPath, requestMessage } from '../src/grid/agent';
import { accountFromUri, signerOf } from '../src/identity';

// BLAKE2b-256 of the empty body.
const EMPTY_BODY_HASH = '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8';

beforeAll(async () => { await cryptoWaitReady(); });
afterEach(() => { vi.unstubAllGlobals(); });

test('the logs path names the workload and the tail in its query string', () => {
  expect(logsPath(7, 'web', 100)).toBe('/v1/deployments/7/logs?workload=web&tail=100');
});

test('a logs request is sent to that path and signed over it, query string included', async () => {
  const alice = accountFromUri('//Alice');
  const sent: { url: string; init: RequestInit }[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    sent.push({ url, init });
    return new Response(JSON.stringify({ contract_id: 7, workload: 'web', lines: ['one', 'two'] }), { status: 200 });
  });
  const logs = await new AgentClient('http://node:8080/', 3, signerOf(alice)).logs(7, 'web', 20);
  expect(logs).toEqual({ contract_id: 7, workload: 'web', lines: ['one', 'two'] });

  expect(sent).toHaveLength(1);
  const { url, init } = sent[0];
  expect(url).toBe('http://node:8080/v1/deployments/7/logs?workload=web&tail=20');
  expect(init.method).toBe('GET');
  const headers = init.headers as Record<string, string>;
  expect(headers['x-grid-twin']).toBe('3');
  const timestamp = Number(headers['x-grid-timestamp']);
  const message = requestMessage('GET', '/v1/deployments/7/logs?workload=web&tail=20', timestamp, new Uint8Array());
  expect(u8aToString(message))
    .toBe(`GET /v1/deployments/7/logs?workload=web&tail=20\n${timestamp}\n${EMPTY_BODY_HASH}`);
  const signature = headers['x-grid-signature'].replace(/^sr25519:/, '');
  expect(signatureVerify(message, signature, alice.address).isValid).toBe(true);
});

test('the pre-flights go to the check routes, signed like the deploy and the update, and answer the hash', async () => {
  const alice = accountFromUri('//Alice');
  const sent: { url: string; init: RequestInit }[] = [];
  const answer = { hash: '0x01', capacity: { cru: 1, mru: 1, sru: 1, hru: 0 }, public_ips: 0 };
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    sent.push({ url, init });
    return new Response(JSON.stringify(answer), { status: 200 });
  });
  const agent = new AgentClient('http://node:8080', 3, signerOf(alice));
  const doc = { contract_id: 9 } as Parameters<AgentClient['checkUpdate']>[0];
  expect(await agent.checkDeploy({ ...doc, contract_id: 0 })).toEqual(answer);
  expect(await agent.checkUpdate(doc)).toEqual(answer);
  expect(sent.map((s) => `${s.init.method} ${s.url}`)).toEqual(['POST http://node:8080/v1/deployments/check', 'PUT http://node:8080/v1/deployments/9/check']);
  const headers = sent[1].init.headers as Record<string, string>;
  const message = requestMessage(
    'PUT',
    '/v1/deployments/9/check',
    Number(headers['x-grid-timestamp']),
    new TextEncoder().encode(String(sent[1].init.body)),
  );
  expect(signatureVerify(message, headers['x-grid-signature'].replace(/^sr25519:/, ''), alice.address).isValid).toBe(true);
});

test("a refusal of the pre-flight carries the agent's code and sentence", async () => {
  const refusal = { code: 'NotEnoughCapacity', message: 'the node has too little free capacity' };
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify(refusal), { status: 400 }));
  const agent = new AgentClient('http://node:8080', 3, signerOf(accountFromUri('//Alice')));
  await expect(agent.checkDeploy({ contract_id: 0 } as Parameters<AgentClient['checkDeploy']>[0]))
    .rejects.toMatchObject(refusal);
});
