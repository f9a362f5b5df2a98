import { useEffect, useState } from 'react';
import { mnemonicGenerate } from '@polkadot/util-crypto';
import { DeploymentError } from '../deployment';
import { type AgeKey, accountFromUri, ageKeyFromUri, ageRecipientOf, identityFile, identityFromText, isTwinKey, randomAgeKey, signerOf } from '../identity';
import { formatTft } from '../pricing';
import type { Balance } from '../grid/chain';
import { type Account, sentence, useSession } from '../session';
import { type WalletAccount, connectWallets, forgetIdentity, keepIdentity, keptIdentity, walletSigners } from '../wallet';

const DEV_ACCOUNTS = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

export function AccountPage() {
  const { chain, chainName, account, setAccount } = useSession();
  const [phrase, setPhrase] = useState('');
  const [fresh, setFresh] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const devChain = /development|local/i.test(chainName);

  const openKey = async (uri: string, label: string, kind: 'dev' | 'phrase') => {
    setError(null);
    try {
      const pair = accountFromUri(uri);
      const ageKey = await ageKeyFromUri(uri);
      setAccount({ label, kind, address: pair.address, tx: { pair }, signer: signerOf(pair), ageKey, twinId: await chain.twinIdOf(pair.address) });
    } catch (e) {
      setError(sentence(e));
    }
  };

  // A wallet account's identity is the one this browser keeps for it, if that is still its twin's key.
  const openWallet = async (w: WalletAccount) => {
    setError(null);
    try {
      const { tx, signer } = await walletSigners(w);
      const twinId = await chain.twinIdOf(w.address);
      const pk = twinId ? (await chain.twin(twinId))?.pk ?? null : null;
      const kept = keptIdentity(w.address);
      const keptKey = kept ? await identityFromText(kept).catch(() => null) : null;
      const ageKey = keptKey && isTwinKey(keptKey, pk) ? keptKey : null;
      setAccount({ label: `${w.name} (${w.source})`, kind: 'wallet', address: w.address, tx, signer, ageKey, twinId });
    } catch (e) {
      setError(sentence(e));
    }
  };

  return (
    <>
      <WalletConnect onUse={openWallet} />
      <section data-testid="page-keys">
        <h2>For development: a dev account or a secret phrase</h2>
        <p className="warning" data-testid="phrase-warning">A phrase typed into a web page is exposed to that page and to every script running in it (a compromised dependency, a look-alike copy of the page): whoever reads it owns the account and can decrypt its deployments. Use this for development and test accounts only; keep real keys in a wallet.</p>
        {devChain && (
          <div className="row" data-testid="dev-accounts">
            <span>Dev accounts:</span>
            {DEV_ACCOUNTS.map((n) => <button key={n} className="secondary" onClick={() => openKey(`//${n}`, `//${n}`, 'dev')}>{n}</button>)}
          </div>
        )}
        <div className="row" style={{ marginTop: 12 }}>
          <input style={{ flex: 1 }} type="password" placeholder="your 12 or 24 word phrase" value={phrase} onChange={(e) => setPhrase(e.target.value)} aria-label="phrase" />
          <button onClick={() => openKey(phrase.trim(), 'phrase', 'phrase')} disabled={!phrase.trim()}>Open</button>
          <button className="secondary" onClick={() => setFresh(mnemonicGenerate(12))}>New phrase</button>
        </div>
        <p className="note">The page derives the account key and the encryption key (SPEC §9.5) from the phrase, and signs, here.</p>
        {fresh && (
          <p className="ok">Write this phrase down; it is your account and the only key to your deployments. It is shown once:<br /><span className="mono" data-testid="new-phrase">{fresh}</span>
            <br /><button className="secondary" onClick={() => { void openKey(fresh, 'phrase', 'phrase'); setFresh(null); }}>Use it</button></p>
        )}
      </section>
      {error && <p className="error" role="alert">{error}</p>}
      {account && <AccountView key={account.address} account={account} />}
    </>
  );
}

/** The accounts of every wallet extension that lets the page in. */
function WalletConnect({ onUse }: { onUse(w: WalletAccount): Promise<void> }) {
  const { account } = useSession();
  const [found, setFound] = useState<{ wallets: string[]; accounts: WalletAccount[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const connect = async () => {
    setBusy(true); setError(null);
    try { setFound(await connectWallets()); } catch (e) { setError(sentence(e)); } finally { setBusy(false); }
  };
  return (
    <section data-testid="wallet">
      <h2>Connect a wallet</h2>
      <p className="note">Your keys stay in your wallet extension (polkadot.js extension, Talisman, SubWallet…), which asks you to approve each transaction and each signature. A wallet signs bytes wrapped in <code>&lt;Bytes&gt;…&lt;/Bytes&gt;</code>; Gridchain's nodes, <code>grid</code> and this page accept that form.</p>
      <p className="row"><button onClick={connect} disabled={busy}>{found ? 'Ask the wallets again' : 'Connect a wallet'}</button>{busy && <span className="note">waiting for your wallet to answer…</span>}</p>
      {error && <p className="error" role="alert">{error}</p>}
      {found && found.wallets.length === 0 && <p className="error" data-testid="no-wallet">No wallet answered: install a wallet extension, allow this page in it, and ask again.</p>}
      {found && found.wallets.length > 0 && found.accounts.length === 0 && <p className="error">{found.wallets.join(', ')} let this page in but shares no account with it: create or import an account there, allow this page to see it, and ask again.</p>}
      {found && found.accounts.length > 0 && (
        <table data-testid="wallet-accounts">
          <thead><tr><th>Account</th><th>Wallet</th><th>Address</th><th></th></tr></thead>
          <tbody>
            {found.accounts.map((w) => (
              <tr key={`${w.source} ${w.address}`} data-address={w.address}>
                <td>{w.name}</td><td>{w.source}</td><td className="mono">{w.address}</td>
                <td>{w.keyType
                  ? <button className={account?.address === w.address ? '' : 'secondary'} onClick={() => onUse(w)}>{account?.address === w.address ? 'In use' : 'Use'}</button>
                  : <span className="note">an Ethereum-style key cannot own a twin</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AccountView({ account }: { account: Account }) {
  const { chain, setAccount } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [balance, setBalance] = useState<Balance | null>(null);
  const [chainPk, setChainPk] = useState<Uint8Array | null | undefined>(undefined);
  const [showIdentity, setShowIdentity] = useState(false);

  useEffect(() => {
    let stop = false;
    const refresh = async () => {
      const [b, twin] = await Promise.all([chain.balance(account.address), account.twinId ? chain.twin(account.twinId) : null]);
      if (!stop) { setBalance(b); setChainPk(twin?.pk ?? null); }
    };
    void refresh().catch((e) => setError(sentence(e)));
    const timer = setInterval(() => void refresh().catch(() => undefined), 6000);
    return () => { stop = true; clearInterval(timer); };
  }, [account, chain]);

  /** Whether `f` succeeded; its failure is shown. */
  const run = async (what: string, f: () => Promise<void>): Promise<boolean> => {
    setBusy(what);
    setError(null);
    try {
      await f();
      return true;
    } catch (e) {
      setError(e instanceof DeploymentError ? e.message : sentence(e));
      return false;
    } finally {
      setBusy(null);
    }
  };

  /** A twin created with `key` as its `pk`, or `key` published on the existing twin. */
  const publish = (key: AgeKey) => run(account.twinId ? 'Setting your encryption key' : 'Creating your twin', async () => {
    if (account.twinId) {
      const relay = (await chain.twin(account.twinId))?.relay ?? null;
      await chain.setTwinPk(account.tx, key.publicKey, relay, (s) => setBusy(`Setting your encryption key: ${s}`));
      setChainPk(key.publicKey);
      setAccount({ ...account, ageKey: key });
    } else {
      const twinId = await chain.createTwin(account.tx, key.publicKey, (s) => setBusy(`Creating your twin: ${s}`));
      setChainPk(key.publicKey);
      setAccount({ ...account, ageKey: key, twinId });
    }
  });

  const key = account.ageKey;
  return (
    <section data-testid="account">
      <h2>{account.label}</h2>
      {error && <p className="error" role="alert" data-testid="account-error">{error}</p>}
      {busy && <p className="note" role="status">{busy}…</p>}
      <div className="form">
        <span>Address</span><span className="mono" data-testid="address">{account.address}</span>
        <span>Balance</span><span data-testid="balance">{balance ? `${formatTft(balance.free)} free, ${formatTft(balance.reserved)} held` : '…'}</span>
        <span>Twin</span>
        <span data-testid="twin">
          {account.twinId ? `twin ${account.twinId}` : account.kind === 'wallet' ? 'none yet: make your encryption identity below, then create it' : <>none yet <button onClick={() => key && publish(key)} disabled={busy !== null}>Create my twin</button></>}
        </span>
        {account.kind !== 'wallet' && key && <>
          <span>Encryption key</span>
          <span className="mono">{key.recipient}
            {account.twinId && chainPk && !isTwinKey(key, chainPk) && <><br /><span className="error">Your twin's key on chain is another one: deployments encrypted to it cannot be read with this phrase.</span> <button onClick={() => publish(key)}>Use this key</button></>}
            {account.twinId && chainPk === null && <> <button onClick={() => publish(key)}>Publish it on my twin</button></>}
          </span>
          <span>Age identity</span>
          <span>{showIdentity ? <span className="mono">{key.identity}</span> : <button className="secondary" onClick={() => setShowIdentity(true)}>Show (for the standard age tool)</button>}</span>
        </>}
      </div>
      {account.kind === 'wallet' && chainPk !== undefined && <WalletIdentity account={account} chainPk={chainPk} busy={busy !== null} publish={publish} />}
    </section>
  );
}

/** A wallet account's encryption identity (SPEC §9.5): made here at random and shown once, kept
 * where the user chooses, its public key the twin's `pk`; restored on another browser from the
 * saved file or text, checked against that `pk`. */
function WalletIdentity({ account, chainPk, busy, publish }: { account: Account; chainPk: Uint8Array | null; busy: boolean; publish(key: AgeKey): Promise<boolean> }) {
  const { setAccount } = useSession();
  const [fresh, setFresh] = useState<AgeKey | null>(null);
  const [keep, setKeep] = useState<'browser' | 'file' | null>(null);
  const [saved, setSaved] = useState(false);
  const [pasted, setPasted] = useState('');
  const [keepRestored, setKeepRestored] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [kept, setKept] = useState(() => keptIdentity(account.address) !== null);
  const key = account.ageKey;

  const make = async () => { setError(null); setSaved(false); setKeep(null); setFresh(await randomAgeKey()); };
  const note = `Gridchain encryption identity of ${account.address}: keep it secret; it decrypts this account's deployments`;
  const download = () => {
    if (!fresh) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([identityFile(fresh, note)], { type: 'text/plain' }));
    a.download = `gridchain-identity-${account.address}.txt`;
    a.click();
  };
  const adopt = async () => {
    if (!fresh || !keep || !saved || !(await publish(fresh))) return;
    if (keep === 'browser') keepIdentity(account.address, fresh.identity);
    else forgetIdentity(account.address);
    setKept(keep === 'browser');
    setFresh(null);
  };
  const restore = async (text: string) => {
    setError(null);
    try {
      const restored = await identityFromText(text);
      if (!isTwinKey(restored, chainPk)) {
        throw new DeploymentError('Key', `this identity's key is ${restored.recipient}, not your twin's (${chainPk ? ageRecipientOf(chainPk) : 'none'}): it cannot decrypt your deployments. Load the identity you saved when you created your twin.`);
      }
      if (keepRestored) keepIdentity(account.address, restored.identity);
      setKept(keepRestored);
      setPasted('');
      setAccount({ ...account, ageKey: restored });
    } catch (e) {
      setError(sentence(e));
    }
  };
  const forget = () => { forgetIdentity(account.address); setKept(false); };

  if (fresh) {
    const action = !account.twinId ? 'Create my twin with this key' : chainPk ? "Make it my twin's key" : 'Publish it on my twin';
    return (
      <div className="identity" data-testid="fresh-identity">
        <h3>Your encryption identity: shown once</h3>
        <p>Your wallet signs but holds no encryption key, so this page made one at random. Your deployments are encrypted to it: whoever holds it can read them, and without it nobody can, you included. Save it now; the page will not show it again.</p>
        <pre className="mono" data-testid="fresh-identity-text">{fresh.identity}</pre>
        <p className="row">
          <button onClick={download} data-testid="download-identity">Download the identity file</button>
          <button className="secondary" onClick={() => void navigator.clipboard?.writeText(fresh.identity)}>Copy</button>
          <span className="note">The file is what <code>age-keygen</code> writes: <code>age -d -i FILE</code> reads it.</span>
        </p>
        <fieldset>
          <legend>Where else should it be kept?</legend>
          <label><input type="radio" name="keep" checked={keep === 'browser'} onChange={() => setKeep('browser')} data-testid="keep-browser" /> Also in this browser (localStorage): this page can decrypt without asking, and so can any script that runs on this page's origin</label>
          <label><input type="radio" name="keep" checked={keep === 'file'} onChange={() => setKeep('file')} data-testid="keep-nowhere" /> Nowhere else: I load my saved copy when I need it</label>
        </fieldset>
        <label><input type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} data-testid="identity-saved" /> I have saved it (the file, or the line in my password manager)</label>
        {account.twinId && chainPk && <p className="error">Your twin's current key is replaced: deployments encrypted to it stay readable only with the old identity.</p>}
        <p className="row">
          <button onClick={adopt} disabled={busy || !keep || !saved} data-testid="adopt-identity">{action}</button>
          <button className="secondary" onClick={() => setFresh(null)} disabled={busy}>Discard</button>
        </p>
      </div>
    );
  }
  if (key && isTwinKey(key, chainPk)) {
    return (
      <div className="form" data-testid="identity-loaded">
        <span>Encryption key</span><span className="mono" data-testid="recipient">{key.recipient}</span>
        <span>Identity</span>
        <span data-testid="identity-where">{kept ? 'kept in this browser' : 'loaded for this visit: not kept in this browser'}{kept && <> <button className="secondary" onClick={forget}>Forget it in this browser</button></>}</span>
      </div>
    );
  }
  if (!account.twinId || !chainPk) {
    return (
      <div className="identity">
        <p>Your twin needs an encryption key: the chain keeps your deployments encrypted to it (SPEC §9.5). Your wallet cannot make one, so the page makes a random identity for you to keep.</p>
        <button onClick={make} disabled={busy} data-testid="make-identity">Make my encryption identity</button>
      </div>
    );
  }
  return (
    <div className="identity" data-testid="restore-identity">
      <h3>Restore your encryption identity</h3>
      <p>Your twin's key is <span className="mono">{ageRecipientOf(chainPk)}</span>. Load the identity file you saved when you created the twin, or paste its <code>AGE-SECRET-KEY-1…</code> line: the page checks it is that key.</p>
      <p className="row">
        <input type="file" accept=".txt,.key,text/plain" aria-label="identity file" onChange={async (e) => { const f = e.target.files?.[0]; e.target.value = ''; if (f) await restore(await f.text()); }} />
      </p>
      <textarea rows={2} value={pasted} onChange={(e) => setPasted(e.target.value)} aria-label="age identity" placeholder="AGE-SECRET-KEY-1…" />
      <p className="row">
        <button onClick={() => restore(pasted)} disabled={!pasted.trim()}>Restore</button>
        <label><input type="checkbox" checked={keepRestored} onChange={(e) => setKeepRestored(e.target.checked)} data-testid="keep-restored" /> Keep it in this browser</label>
      </p>
      {error && <p className="error" role="alert" data-testid="identity-error">{error}</p>}
      <p className="note">Lost it? Deployments encrypted to it cannot be read again; a new identity serves the next ones. <button className="secondary" onClick={make} disabled={busy}>Make a new identity</button></p>
    </div>
  );
}
