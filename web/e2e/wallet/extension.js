// A wallet extension for the browser test, built from what extensions are built from:
// @polkadot/extension-inject announces it in `window.injectedWeb3` as the polkadot.js extension's
// content script does, and a Keyring holds its accounts. It signs as the polkadot.js extension
// signs (packages/extension-base, RequestBytesSign and RequestExtrinsicSign): `signRaw` over
// `u8aWrapBytes(data)`, `signPayload` through `ExtrinsicPayload.sign`; it approves every request
// without a popup, and records each one in `window.__testWallet.requests` for the test to read.
//
// Its accounts come from `globalThis.__testWalletAccounts` ([{uri, name}]), set before it runs.

import { injectExtension } from '@polkadot/extension-inject';
import { Keyring } from '@polkadot/keyring';
import { TypeRegistry } from '@polkadot/types';
import { hexToU8a, u8aToHex, u8aWrapBytes } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';

const requests = [];
const origins = [];
globalThis.__testWallet = { requests, origins };

async function enable(origin) {
  origins.push(origin);
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  for (const { uri, name } of globalThis.__testWalletAccounts ?? []) keyring.addFromUri(uri, { name });
  const list = () => keyring.getPairs().map((p) => ({
    address: p.address,
    name: p.meta.name,
    type: p.type,
    genesisHash: null,
  }));
  let id = 0;
  return {
    accounts: {
      get: async () => list(),
      subscribe: (cb) => { void cb(list()); return () => undefined; },
    },
    signer: {
      signRaw: async ({ address, data, type }) => {
        requests.push({ kind: 'raw', address, data, type });
        const pair = keyring.getPair(address);
        return { id: ++id, signature: u8aToHex(pair.sign(u8aWrapBytes(hexToU8a(data)))) };
      },
      signPayload: async (payload) => {
        requests.push({ kind: 'payload', address: payload.address, method: payload.method });
        const registry = new TypeRegistry();
        registry.setSignedExtensions(payload.signedExtensions);
        const pair = keyring.getPair(payload.address);
        return {
          id: ++id,
          ...registry.createType('ExtrinsicPayload', payload, { version: payload.version }).sign(pair),
        };
      },
    },
  };
}

injectExtension(enable, { name: 'gridchain-test-wallet', version: '1.0.0' });
