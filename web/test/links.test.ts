// What a link to the dashboard carries (issue 24): endpoints are only offered, share links carry none.
import { expect, test } from 'vitest';
import type { Deployment } from '../src/deployment';
import {
  LOCAL_GRID, compareGenesis, documentFromLink, offeredEndpoints, savedEndpoints, shareLink, withoutOffer,
} from '../src/links';

const saved = { rpc: 'ws://127.0.0.1:29944', indexer: 'http://127.0.0.1:24350' };
const doc: Deployment = {
  version: 0,
  twin_id: 7,
  contract_id: 0,
  metadata: '',
  description: '',
  signature_requirement: { requests: [{ twin_id: 7, weight: 1, required: true }], weight_required: 1, signatures: [] },
  workloads: [{
    version: 0,
    name: 'web',
    type: 'vm',
    description: '',
    data: {
      image: 'docker.io/library/nginx:1.27',
      cpu: 1,
      memory: 2 ** 30,
      rootfs_size: 2 ** 31,
      entrypoint: '/bin/sh -c "exec nginx"',
      env: { API_TOKEN: 's3cret' },
      ssh_keys: [],
      public_ip: '',
      mounts: [],
    },
  }],
};

test('a link offers the endpoints its query names that differ from the saved ones', () => {
  expect(offeredEndpoints('?rpc=ws://attacker:9944&indexer=http://attacker:4350', saved)).toEqual({ rpc: 'ws://attacker:9944', indexer: 'http://attacker:4350' });
  expect(offeredEndpoints('?rpc=wss://rpc.example.org', saved)).toEqual({ rpc: 'wss://rpc.example.org' });
});

test('a link naming the saved endpoints, or none, offers nothing', () => {
  expect(offeredEndpoints(`?rpc=${saved.rpc}&indexer=${saved.indexer}`, saved)).toEqual({});
  expect(offeredEndpoints('', saved)).toEqual({});
});

test('a link cannot offer what is not a chain or indexer address', () => {
  expect(offeredEndpoints('?rpc=javascript:alert(1)&indexer=ws://attacker', saved)).toEqual({});
  expect(offeredEndpoints('?rpc=http://attacker:9944&indexer=not a url', saved)).toEqual({});
});

test('the saved endpoints are what localStorage holds, else the local grid', () => {
  expect(savedEndpoints(JSON.stringify(saved))).toEqual(saved);
  expect(savedEndpoints(null)).toEqual(LOCAL_GRID);
  expect(savedEndpoints('{"rpc": 7}')).toEqual(LOCAL_GRID);
  expect(savedEndpoints('not json')).toEqual(LOCAL_GRID);
});

test('once decided, the address bar keeps neither rpc nor indexer', () => {
  expect(withoutOffer('http://127.0.0.1:5173/?rpc=ws://a&indexer=http://b&x=1#doc=abc')).toBe('http://127.0.0.1:5173/?x=1#doc=abc');
  expect(withoutOffer('http://127.0.0.1:5173/?rpc=ws://a')).toBe('http://127.0.0.1:5173/');
});

test('a share link carries the document and none of the sender\'s endpoints', () => {
  const link = shareLink(doc, 'http://127.0.0.1:25173/dash/?rpc=ws://127.0.0.1:29944&indexer=http://127.0.0.1:24350#doc=old');
  const url = new URL(link);
  expect(url.origin + url.pathname).toBe('http://127.0.0.1:25173/dash/');
  expect(url.search).toBe('');
  expect(link).not.toMatch(/rpc|indexer|29944|24350/);
  expect(JSON.parse(documentFromLink(url.hash) ?? 'null')).toEqual(doc);
});

test('a fragment without a readable document opens none', () => {
  expect(documentFromLink('')).toBeNull();
  expect(documentFromLink('#other=1')).toBeNull();
  expect(documentFromLink('#doc=!!!')).toBeNull();
});

test('two chains are the same chain when their genesis hashes are', () => {
  const a = `0x${'ab'.repeat(32)}`;
  expect(compareGenesis(a, a.toUpperCase().replace('0X', '0x'))).toBe('same chain');
  expect(compareGenesis(a, `0x${'cd'.repeat(32)}`)).toBe('different chain');
  expect(compareGenesis(null, a)).toBe('unknown');
  expect(compareGenesis(a, null)).toBe('unknown');
});
