// The one question asked of an endpoint a link offers: its genesis hash, and nothing else.
import { afterEach, expect, test, vi } from 'vitest';
import { genesisHashAt } from '../src/grid/probe';

afterEach(() => { vi.unstubAllGlobals(); });

/** A WebSocket whose node answers `answer` to whatever is sent; what was sent is kept. */
function fakeNode(answer: (request: { id: number; method: string }) => unknown) {
  const sent: string[] = [];
  let closed = false;
  class FakeSocket {
    onopen: (() => void) | null = null;
    onmessage: ((m: { data: string }) => void) | null = null;
    onerror: (() => void) | null = null;
    onclose: (() => void) | null = null;
    constructor(readonly url: string) { setTimeout(() => this.onopen?.(), 0); }
    send(text: string) {
      sent.push(text);
      const reply = answer(JSON.parse(text));
      setTimeout(() => this.onmessage?.({ data: JSON.stringify(reply) }), 0);
    }
    close() { closed = true; }
  }
  vi.stubGlobal('WebSocket', FakeSocket);
  return { sent, closed: () => closed };
}

const GENESIS = `0x${'Ab'.repeat(32)}`;

test('the offered node is asked for block 0\'s hash only, and the socket closed after', async () => {
  const node = fakeNode((r) => ({ jsonrpc: '2.0', id: r.id, result: GENESIS }));
  expect(await genesisHashAt('ws://attacker:9944')).toBe(GENESIS.toLowerCase());
  expect(node.sent.map((t) => JSON.parse(t))).toEqual([
    { jsonrpc: '2.0', id: 1, method: 'chain_getBlockHash', params: [0] },
  ]);
  expect(node.closed()).toBe(true);
});

test('an answer that is not a genesis hash is refused', async () => {
  fakeNode((r) => ({ jsonrpc: '2.0', id: r.id, result: '<script>alert(1)</script>' }));
  await expect(genesisHashAt('ws://attacker:9944')).rejects.toThrow(/no genesis hash/);
  fakeNode((r) => ({ jsonrpc: '2.0', id: r.id, error: { code: -32601, message: 'Method not found' } }));
  await expect(genesisHashAt('ws://attacker:9944')).rejects.toThrow(/no genesis hash: Method not found/);
});

test('a node that never answers is given up on', async () => {
  fakeNode(() => ({ id: 99 }));
  await expect(genesisHashAt('ws://attacker:9944', 50)).rejects.toThrow(/no answer within 0.05 s/);
});
