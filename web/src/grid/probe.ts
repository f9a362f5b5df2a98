// One question to an endpoint the user has not accepted: which chain a node serves (its genesis
// hash), how far an indexer is. Nothing else is sent to it and nothing else is read from it: no
// metadata, no account, no document.

import { Indexer } from './indexer';

const GENESIS_HASH = /^0x[0-9a-fA-F]{64}$/;

/** The genesis hash of the chain the node at `url` serves (`chain_getBlockHash(0)` over one
 * WebSocket, closed after the answer). */
export function genesisHashAt(url: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      reject(new Error(`${url} is not a WebSocket address: ${(e as Error).message}`));
      return;
    }
    const done = (settle: () => void) => {
      clearTimeout(timer);
      socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
      socket.close();
      settle();
    };
    const timer = setTimeout(() => done(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`))), timeoutMs);
    socket.onopen = () => socket.send(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_getBlockHash', params: [0] }),
    );
    socket.onmessage = (m) => {
      let answer: { id?: unknown; result?: unknown; error?: { message?: unknown } };
      try { answer = JSON.parse(String(m.data)); } catch { answer = {}; }
      if (answer.id !== 1) return;
      const hash = answer.result;
      if (typeof hash === 'string' && GENESIS_HASH.test(hash)) {
        done(() => resolve(hash.toLowerCase()));
      } else {
        const reason = answer.error?.message ? `: ${String(answer.error.message)}` : '';
        done(() => reject(new Error(`it answered no genesis hash${reason}`)));
      }
    };
    socket.onerror = () => done(() => reject(new Error('it did not answer (unreachable, or not a chain node)')));
    socket.onclose = () => done(() => reject(new Error('it closed the connection without answering')));
  });
}

/** How far the indexer at `url` is: blocks indexed and the chain's finalized height it knows. */
export async function indexerStatusAt(url: string): Promise<{ indexedHeight: number; finalizedHeight: number }> {
  const q = '{ status { indexedHeight finalizedHeight } }';
  return (await new Indexer(url).query<{ status: { indexedHeight: number; finalizedHeight: number } }>(q)).status;
}
