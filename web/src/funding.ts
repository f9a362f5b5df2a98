// What a new account needs before its first transaction: the fee of creating its twin, plus the
// existential deposit the account must keep to exist, both as the chain states them; and on a
// development chain, where //Alice's key is public, a transfer from her.

import { u8aToHex } from '@polkadot/util';
import type { Chain, TxSigner } from './grid/chain';
import { accountFromUri } from './identity';
import { UNITS_PER_TFT } from './pricing';

/** What creating the twin takes, in TFT units, against the account's free balance. */
export interface FundingNeed {
  feeUnits: bigint;
  existentialDepositUnits: bigint;
  needUnits: bigint;
  freeUnits: bigint;
  shortUnits: bigint;
}

/** The fee plus the existential deposit, and how much of it the free balance lacks (0 if none). */
export function fundingNeed(feeUnits: bigint, existentialDepositUnits: bigint, freeUnits: bigint): FundingNeed {
  const needUnits = feeUnits + existentialDepositUnits;
  const shortUnits = freeUnits >= needUnits ? 0n : needUnits - freeUnits;
  return { feeUnits, existentialDepositUnits, needUnits, freeUnits, shortUnits };
}

/** What creating a twin with encryption key `pk` would take from `address`, as the chain estimates it. */
export async function twinCreationNeed(chain: Chain, address: string, pk: Uint8Array): Promise<FundingNeed> {
  const api = chain.api;
  const tx = api.tx.registry.createTwin(u8aToHex(pk), null);
  const [info, balance] = await Promise.all([tx.paymentInfo(address), chain.balance(address)]);
  const existentialDeposit = BigInt(api.consts.balances.existentialDeposit.toString());
  return fundingNeed(info.partialFee.toBigInt(), existentialDeposit, balance.free);
}

/** Whether the chain calls itself a development or local chain (`system_chainType`): only there
 * are //Alice's funds anyone's to give. */
export async function isDevChain(chain: Chain): Promise<boolean> {
  const type = await chain.api.rpc.system.chainType();
  return type.isDevelopment || type.isLocal;
}

/** What "Fund from //Alice" sends. */
export const DEV_FUNDING_UNITS = 100n * UNITS_PER_TFT;

/** `units` from //Alice to `address`; for development chains only (the caller checks `isDevChain`). */
export async function fundFromAlice(
  chain: Chain,
  address: string,
  units = DEV_FUNDING_UNITS,
  progress?: (s: string) => void,
): Promise<void> {
  const alice: TxSigner = { pair: accountFromUri('//Alice') };
  await chain.submit(chain.api.tx.balances.transferKeepAlive(address, units), alice, progress);
}
