// What the page tells the user (issue 26): how much a new account needs and why, a connection
// failure in a sentence, a refused step marked failed, a country found whatever its case.
import { expect, test } from 'vitest';
import { fundingNeed, twinCreationNeed } from '../src/funding';
import { type Chain, connectionFailure, failureText } from '../src/grid/chain';
import { countryFilter } from '../src/pages/GridPage';
import { type StepView, withRunningFailed, withStep } from '../src/pages/Steps';

const TFT = 10_000_000n;

test("a new account needs the twin creation's fee plus the existential deposit, less what it has", () => {
  expect(fundingNeed(2_000n, TFT / 100n, 0n)).toEqual({
    feeUnits: 2_000n,
    existentialDepositUnits: 100_000n,
    needUnits: 102_000n,
    freeUnits: 0n,
    shortUnits: 102_000n,
  });
  expect(fundingNeed(2_000n, 100_000n, 100_000n).shortUnits).toBe(2_000n);
  expect(fundingNeed(2_000n, 100_000n, 100n * TFT).shortUnits).toBe(0n);
});

test("the funding hint's amount is the chain's fee estimate and existential deposit", async () => {
  const asked: unknown[] = [];
  const chain = {
    api: {
      tx: {
        registry: {
          createTwin: (pk: string, relay: null) => ({
            paymentInfo: async (address: string) => {
              asked.push([pk, relay, address]);
              return { partialFee: { toBigInt: () => 1_234n } };
            },
          }),
        },
      },
      consts: { balances: { existentialDeposit: { toString: () => '100000' } } },
    },
    balance: async () => ({ free: 0n, reserved: 0n }),
  } as unknown as Chain;
  const need = await twinCreationNeed(chain, '5Fake', new Uint8Array(32).fill(7));
  expect(need.needUnits).toBe(101_234n);
  expect(need.shortUnits).toBe(101_234n);
  expect(asked).toEqual([[`0x${'07'.repeat(32)}`, null, '5Fake']]);
});

test('a WebSocket that closes without answering is told in words, with its code, never "undefined"', () => {
  const closed = { type: 'close', code: 1006, reason: '' };
  expect(failureText(closed)).toBe('the connection closed without an answer (WebSocket code 1006)');
  const sentence = connectionFailure('ws://127.0.0.1:9999', closed).message;
  expect(sentence).toBe('Cannot connect to the chain at ws://127.0.0.1:9999: the connection closed without an answer (WebSocket code 1006). Check that a chain node runs there and that the address is right.');
  expect(connectionFailure('ws://127.0.0.1:9999', new Event('error')).message).toMatch(/^Cannot connect to the chain at ws:\/\/127\.0\.0\.1:9999: nothing answered the WebSocket connection\./);
  for (const e of [undefined, null, new Error(), { type: 'close' }, '']) expect(connectionFailure('ws://x', e).message).not.toMatch(/undefined|null|\[object/);
});

test('a refused step is marked failed with the reason, its progress note dropped; finished steps stay done', () => {
  let steps: StepView[] = [];
  steps = withStep(steps, { id: 'check', state: 'done', text: 'Checked' });
  steps = withStep(steps, {
    id: 'contract',
    state: 'running',
    text: 'Creating the contract on chain: in a block, waiting for finality',
  });
  steps = withRunningFailed(steps, 'SmartContract::NodeHasNotEnoughCapacity: not enough.');
  expect(steps).toEqual([
    { id: 'check', state: 'done', text: 'Checked' },
    {
      id: 'contract',
      state: 'failed',
      text: 'Creating the contract on chain: failed. SmartContract::NodeHasNotEnoughCapacity: not enough.',
    },
  ]);
});

test('a country is searched as nodes register it, whatever the case typed', () => {
  expect(countryFilter(' be ')).toBe('BE');
  expect(countryFilter('Be')).toBe('BE');
  expect(countryFilter('belgium')).toBe('Belgium');
  expect(countryFilter('united kingdom')).toBe('United Kingdom');
  expect(countryFilter('')).toBeUndefined();
});
