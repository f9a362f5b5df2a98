// A browser-extension wallet (polkadot.js extension, Talisman, SubWallet: anything that injects
// `window.injectedWeb3`) through @polkadot/extension-dapp: its accounts, its transaction signer,
// and its `signRaw` as the account's byte signer (§9.4 signatures, §10 requests). A wallet holds
// no encryption key, so a wallet account's age identity (§9.5) is made here and kept where the
// user chooses: in the file they saved, and, if they ask, in this browser's localStorage.

import type { Signer as InjectedSigner, SignerResult } from '@polkadot/api/types';
import type { SignerPayloadRaw } from '@polkadot/types/types';
import type { InjectedAccountWithMeta } from '@polkadot/extension-inject/types';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { DeploymentError, type KeyType, type Signer } from './deployment';
import type { TxSigner } from './grid/chain';

/** An account a wallet offers; `keyType` null for one that cannot own a twin (ecdsa, ethereum). */
export interface WalletAccount { address: string; name: string; source: string; keyType: KeyType | null }

/** The name the wallets show when they ask the user to let the page in. */
export const APP_NAME = 'Gridchain';

export function walletAccountOf(a: InjectedAccountWithMeta): WalletAccount {
  // A wallet that does not say is taken to hold the Substrate default, sr25519.
  const keyType = a.type === 'sr25519' || a.type === 'ed25519' ? a.type : a.type === undefined ? 'sr25519' : null;
  return { address: a.address, name: a.meta.name ?? a.address.slice(0, 8), source: a.meta.source, keyType };
}

/** Ask every injected wallet to let the page in, and list their accounts (SS58 format 42). */
export async function connectWallets(): Promise<{ wallets: string[]; accounts: WalletAccount[] }> {
  // Loaded when asked: the module reads `window` as it loads.
  const { web3Accounts, web3Enable } = await import('@polkadot/extension-dapp');
  const wallets = await web3Enable(APP_NAME);
  if (wallets.length === 0) return { wallets: [], accounts: [] };
  const accounts = await web3Accounts({ ss58Format: 42 });
  return { wallets: wallets.map((w) => w.name), accounts: accounts.map(walletAccountOf) };
}

/** After a reload, the wallet account the page used, if its wallet still lets the page see it:
 * asked through the wallet's own authorization, as on the first visit (a wallet that remembers
 * the page answers without asking the user again). Null when it does not. */
export async function reconnectWallet(address: string, source: string): Promise<WalletAccount | null> {
  const { accounts } = await connectWallets();
  return accounts.find((a) => a.address === address && a.source === source) ?? null;
}

/** The account's signers: transactions through the wallet's `signPayload`, bytes through its `signRaw`. */
export async function walletSigners(account: WalletAccount): Promise<{ tx: TxSigner; signer: Signer }> {
  if (!account.keyType) {
    throw new DeploymentError(
      'Key',
      `${account.name} is an Ethereum-style account: a twin's key is sr25519 or ed25519`,
    );
  }
  const { web3FromSource } = await import('@polkadot/extension-dapp');
  const injected = await web3FromSource(account.source);
  const signRaw = injected.signer.signRaw?.bind(injected.signer);
  if (!signRaw) throw new DeploymentError('Key', `the wallet ${account.source} cannot sign bytes (it has no signRaw)`);
  return {
    tx: { address: account.address, wallet: injected.signer },
    signer: rawSigner(account.address, account.keyType, signRaw),
  };
}

/** A byte signer over a wallet's `signRaw`. The wallet signs `<Bytes>` ‖ bytes ‖ `</Bytes>`, which
 * every verifier accepts (§9.4). */
export function rawSigner(address: string, keyType: KeyType, signRaw: NonNullable<InjectedSigner['signRaw']>): Signer {
  return {
    keyType,
    async sign(message) {
      let result: SignerResult;
      try {
        result = await signRaw({ address, data: u8aToHex(message), type: 'bytes' } satisfies SignerPayloadRaw);
      } catch (e) {
        throw new DeploymentError(
          'NotSigned',
          `your wallet did not sign: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      return plainSignature(hexToU8a(result.signature), keyType);
    },
  };
}

/** MultiSignature's index of each key type: some wallets put it before the 64 signature bytes. */
const MULTI_SIGNATURE_INDEX: Record<KeyType, number> = { ed25519: 0, sr25519: 1 };

/** The 64 signature bytes of what a wallet returned. */
export function plainSignature(bytes: Uint8Array, keyType: KeyType): Uint8Array {
  if (bytes.length === 65 && bytes[0] === MULTI_SIGNATURE_INDEX[keyType]) return bytes.subarray(1);
  if (bytes.length !== 64) {
    throw new DeploymentError(
      'NotSigned',
      `the wallet returned a ${bytes.length}-byte signature, not a 64-byte ${keyType} one`,
    );
  }
  return bytes;
}

// ---- the encryption identity kept in this browser -----------------------------------------------

const keptKey = (address: string) => `gridchain.age-identity.${address}`;

/** The identity this browser keeps for `address`, if the user asked it to. */
export const keptIdentity = (address: string): string | null => localStorage.getItem(keptKey(address));

export const keepIdentity = (address: string, identity: string) => localStorage.setItem(keptKey(address), identity);

export const forgetIdentity = (address: string) => localStorage.removeItem(keptKey(address));
