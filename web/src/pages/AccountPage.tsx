import { useEffect, useState } from 'react';
import { mnemonicGenerate } from '@polkadot/util-crypto';
import { DEV_ACCOUNTS, openDev, openPhrase, openWallet } from '../accounts';
import { DeploymentError } from '../deployment';
import { type AgeKey, ageRecipientOf, identityFile, identityFromText, isTwinKey, randomAgeKey } from '../identity';
import { MIN_PASSWORD_LENGTH, forgetKeptAccount, keptAccount } from '../keystore';
import { formatTft } from '../pricing';
import { type Account, sentence, useBalance, useSession } from '../session';
import { type WalletAccount, connectWallets, forgetIdentity, keepIdentity, keptIdentity } from '../wallet';
import { FundingHint } from './Funding';
import { KeptAccount } from './KeptAccount';
import { Steps, useSteps } from './Steps';

export function AccountPage() {
  const { chain, account, setAccount } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [opening, setOpening] = useState(false);

  /** Signs in with the account `open` gives; its failure is shown. The account shown before is
   * hidden meanwhile, so that nothing is done with it by mistake. */
  const signIn = async (open: () => Promise<Account>) => {
    setError(null);
    setOpening(true);
    try {
      setAccount(await open());
    } catch (e) {
      setError(sentence(e));
    } finally {
      setOpening(false);
    }
  };

  return (
    <>
      <KeptAccount />
      <WalletConnect onUse={(w) => signIn(() => openWallet(chain, w))} />
      <KeysSection
        onOpenDev={(uri) => signIn(() => openDev(chain, uri))}
        onOpenPhrase={(phrase, password) => signIn(() => openPhrase(chain, phrase, password))}
      />
      {error && <p className="error" role="alert" data-testid="sign-in-error">{error}</p>}
      {opening && <p className="note" role="status">Opening the account…</p>}
      {account && !opening && <AccountView key={account.address} account={account} />}
    </>
  );
}

/** Dev accounts (on development chains only) and secret phrases, with the password that keeps a
 * phrase account sealed in this browser. */
function KeysSection({ onOpenDev, onOpenPhrase }: {
  onOpenDev(uri: string): Promise<void>;
  onOpenPhrase(phrase: string, password: string): Promise<void>;
}) {
  const { devChain } = useSession();
  const [phrase, setPhrase] = useState('');
  const [password, setPassword] = useState('');
  const [fresh, setFresh] = useState<string | null>(null);
  const open = async (p: string) => { await onOpenPhrase(p, password); setPassword(''); };
  return (
    <section data-testid="page-keys">
      <h2>For development: a dev account or a secret phrase</h2>
      <p className="warning" data-testid="phrase-warning">
        A phrase typed into a web page is exposed to that page and to every script running in it (a compromised
        dependency, a look-alike copy of the page): whoever reads it owns the account and can decrypt its deployments.
        Use this for development and test accounts only; keep real keys in a wallet.
      </p>
      {devChain && (
        <div className="row" data-testid="dev-accounts">
          <span>Dev accounts:</span>
          {DEV_ACCOUNTS.map((n) => (
            <button key={n} className="secondary" onClick={() => onOpenDev(`//${n}`)}>{n}</button>
          ))}
        </div>
      )}
      <div className="row" style={{ marginTop: 12 }}>
        <input
          className="grow"
          type="password"
          placeholder="your 12 or 24 word phrase"
          value={phrase}
          onChange={(e) => setPhrase(e.target.value)}
          aria-label="phrase"
        />
        <button onClick={() => open(phrase.trim())} disabled={!phrase.trim()}>Open</button>
        <button className="secondary" onClick={() => setFresh(mnemonicGenerate(12))}>New phrase</button>
      </div>
      <div className="row">
        <input
          className="grow"
          type="password"
          placeholder={`a password of ${MIN_PASSWORD_LENGTH}+ characters (optional)`}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-label="password to keep the account"
          autoComplete="new-password"
        />
        <span className="note">
          With a password, the account stays signed in across reloads: this browser keeps its key encrypted with it
          (never the phrase), and asks for the password again.
        </span>
      </div>
      <p className="note">
        The page derives the account key and the encryption key (SPEC §9.5) from the phrase, and signs, here.
      </p>
      {fresh && (
        <p className="ok">
          Write this phrase down; it is your account and the only key to your deployments. It is shown once:
          <br />
          <span className="mono" data-testid="new-phrase">{fresh}</span>
          <br />
          <button className="secondary" onClick={() => { void open(fresh); setFresh(null); }}>Use it</button>
        </p>
      )}
    </section>
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
      <p className="note">
        Your keys stay in your wallet extension (polkadot.js extension, Talisman, SubWallet…), which asks you to approve
        each transaction and each signature. A wallet signs bytes wrapped in <code>&lt;Bytes&gt;…&lt;/Bytes&gt;</code>;
        Gridchain's nodes, <code>grid</code> and this page accept that form.
      </p>
      <p className="row">
        <button onClick={connect} disabled={busy}>{found ? 'Ask the wallets again' : 'Connect a wallet'}</button>
        {busy && <span className="note">waiting for your wallet to answer…</span>}
      </p>
      {error && <p className="error" role="alert">{error}</p>}
      {found && found.wallets.length === 0 && (
        <p className="error" data-testid="no-wallet">
          No wallet answered: install a wallet extension, allow this page in it, and ask again.
        </p>
      )}
      {found && found.wallets.length > 0 && found.accounts.length === 0 && (
        <p className="error">
          {found.wallets.join(', ')} let this page in but shares no account with it: create or import an account
          there, allow this page to see it, and ask again.
        </p>
      )}
      {found && found.accounts.length > 0 && (
        <table data-testid="wallet-accounts">
          <thead><tr><th>Account</th><th>Wallet</th><th>Address</th><th></th></tr></thead>
          <tbody>
            {found.accounts.map((w) => (
              <tr key={`${w.source} ${w.address}`} data-address={w.address}>
                <td>{w.name}</td><td>{w.source}</td><td className="mono">{w.address}</td>
                <td>{w.keyType
                  ? (
                    <button className={account?.address === w.address ? '' : 'secondary'} onClick={() => onUse(w)}>
                      {account?.address === w.address ? 'In use' : 'Use'}
                    </button>
                  )
                  : <span className="note">an Ethereum-style key cannot own a twin</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A zero key, for estimating the fee of a wallet account's twin before its key exists. */
const NO_KEY_YET = new Uint8Array(32);

function AccountView({ account }: { account: Account }) {
  const { chain, setAccount } = useSession();
  const balance = useBalance(chain, account.address);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [chainPk, setChainPk] = useState<Uint8Array | null | undefined>(undefined);
  const [showIdentity, setShowIdentity] = useState(false);
  const [steps, step, resetSteps, failSteps] = useSteps();

  useEffect(() => {
    let stale = false;
    const read = account.twinId ? chain.twin(account.twinId) : Promise.resolve(null);
    read.then((twin) => { if (!stale) setChainPk(twin?.pk ?? null); }, (e) => setError(sentence(e)));
    return () => { stale = true; };
  }, [account.twinId, chain]);

  /** A twin created with `key` as its `pk`, or `key` published on the existing twin, as steps;
   * whether it succeeded. */
  const publish = async (key: AgeKey): Promise<boolean> => {
    const what = account.twinId ? 'Publishing your encryption key on your twin' : 'Creating your twin';
    setBusy(true); setError(null); resetSteps();
    try {
      step('twin', 'running', what);
      const progress = (s: string) => step('twin', 'running', `${what}: ${s}`);
      if (account.twinId) {
        const relay = (await chain.twin(account.twinId))?.relay ?? null;
        await chain.setTwinPk(account.tx, key.publicKey, relay, progress);
        step('twin', 'done', `Twin ${account.twinId} has your encryption key`);
        setAccount({ ...account, ageKey: key });
      } else {
        const twinId = await chain.createTwin(account.tx, key.publicKey, progress);
        step('twin', 'done', `Twin ${twinId} created, with your encryption key`);
        setAccount({ ...account, ageKey: key, twinId });
      }
      setChainPk(key.publicKey);
      return true;
    } catch (e) {
      failSteps(e instanceof DeploymentError ? e.message : e);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const signOut = () => setAccount(null);
  const forgetKept = () => { forgetKeptAccount(); setAccount({ ...account, remember: undefined }); };
  const kept = account.kind === 'phrase' && keptAccount()?.address === account.address;
  const key = account.ageKey;
  return (
    <section data-testid="account">
      <h2>{account.label}</h2>
      {error && <p className="error" role="alert" data-testid="account-error">{error}</p>}
      <div className="form">
        <span>Address</span><span className="mono" data-testid="address">{account.address}</span>
        <span>Balance</span>
        <span data-testid="balance">
          {balance ? `${formatTft(balance.free)} free, ${formatTft(balance.reserved)} held` : '…'}
        </span>
        <span>Twin</span>
        <span data-testid="twin">
          {account.twinId ? `twin ${account.twinId}`
            : account.kind === 'wallet' ? 'none yet: make your encryption identity below, then create it'
            : <>none yet <button onClick={() => key && publish(key)} disabled={busy}>Create my twin</button></>}
        </span>
        {account.kind !== 'wallet' && key && <>
          <span>Encryption key</span>
          <span className="mono">{key.recipient}
            {account.twinId && chainPk && !isTwinKey(key, chainPk) && (
              <>
                <br />
                <span className="error">
                  Your twin's key on chain is another one: deployments encrypted to it cannot be read with this phrase.
                </span>
                {' '}
                <button onClick={() => publish(key)}>Use this key</button>
              </>
            )}
            {account.twinId && chainPk === null && (
              <> <button onClick={() => publish(key)}>Publish it on my twin</button></>
            )}
          </span>
          <span>Age identity</span>
          <span>
            {showIdentity
              ? <span className="mono">{key.identity}</span>
              : (
                <button className="secondary" onClick={() => setShowIdentity(true)}>
                  Show (for the standard age tool)
                </button>
              )}
          </span>
        </>}
        <span>In this browser</span>
        <span className="row" data-testid="session-kept">
          {account.remember
            ? (kept ? 'kept, encrypted with your password' : 'signed in again after a reload')
            : 'forgotten on reload'}
          <button className="secondary" onClick={signOut}>Sign out</button>
          {kept && <button className="secondary" onClick={forgetKept}>Forget this account</button>}
        </span>
      </div>
      {!account.twinId && (
        <FundingHint account={account} pk={key?.publicKey ?? NO_KEY_YET} free={balance?.free ?? null} />
      )}
      <Steps steps={steps} />
      {account.kind === 'wallet' && chainPk !== undefined && (
        <WalletIdentity account={account} chainPk={chainPk} busy={busy} publish={publish} />
      )}
    </section>
  );
}

/** A wallet account's encryption identity (SPEC §9.5): made here at random and shown once, kept
 * where the user chooses, its public key the twin's `pk`; restored on another browser from the
 * saved file or text, checked against that `pk`. */
function WalletIdentity({ account, chainPk, busy, publish }: {
  account: Account;
  chainPk: Uint8Array | null;
  busy: boolean;
  publish(key: AgeKey): Promise<boolean>;
}) {
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
  const note = `Gridchain encryption identity of ${account.address}: `
    + "keep it secret; it decrypts this account's deployments";
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
        const twinRecipient = chainPk ? ageRecipientOf(chainPk) : 'none';
        throw new DeploymentError(
          'Key',
          `this identity's key is ${restored.recipient}, not your twin's (${twinRecipient}): `
            + 'it cannot decrypt your deployments. Load the identity you saved when you created your twin.',
        );
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
    const action = !account.twinId ? 'Create my twin with this key'
      : chainPk ? "Make it my twin's key"
      : 'Publish it on my twin';
    return (
      <div className="identity" data-testid="fresh-identity">
        <h3>Your encryption identity: shown once</h3>
        <p>
          Your wallet signs but holds no encryption key, so this page made one at random. Your deployments are encrypted
          to it: whoever holds it can read them, and without it nobody can, you included. Save it now; the page will not
          show it again.
        </p>
        <pre className="mono" data-testid="fresh-identity-text">{fresh.identity}</pre>
        <p className="row">
          <button onClick={download} data-testid="download-identity">Download the identity file</button>
          <button className="secondary" onClick={() => void navigator.clipboard?.writeText(fresh.identity)}>
            Copy
          </button>
          <span className="note">
            The file is what <code>age-keygen</code> writes: <code>age -d -i FILE</code> reads it.
          </span>
        </p>
        <fieldset>
          <legend>Where else should it be kept?</legend>
          <label>
            <input
              type="radio"
              name="keep"
              checked={keep === 'browser'}
              onChange={() => setKeep('browser')}
              data-testid="keep-browser"
            /> Also in this browser (localStorage): this page can decrypt without asking, and so can any script that
            runs on this page's origin
          </label>
          <label>
            <input
              type="radio"
              name="keep"
              checked={keep === 'file'}
              onChange={() => setKeep('file')}
              data-testid="keep-nowhere"
            /> Nowhere else: I load my saved copy when I need it
          </label>
        </fieldset>
        <label>
          <input
            type="checkbox"
            checked={saved}
            onChange={(e) => setSaved(e.target.checked)}
            data-testid="identity-saved"
          /> I have saved it (the file, or the line in my password manager)
        </label>
        {account.twinId && chainPk && (
          <p className="error">
            Your twin's current key is replaced: deployments encrypted to it stay readable only with the old identity.
          </p>
        )}
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
        <span data-testid="identity-where">
          {kept ? 'kept in this browser' : 'loaded for this visit: not kept in this browser'}
          {kept && <> <button className="secondary" onClick={forget}>Forget it in this browser</button></>}
        </span>
      </div>
    );
  }
  if (!account.twinId || !chainPk) {
    return (
      <div className="identity">
        <p>
          Your twin needs an encryption key: the chain keeps your deployments encrypted to it (SPEC §9.5). Your wallet
          cannot make one, so the page makes a random identity for you to keep.
        </p>
        <button onClick={make} disabled={busy} data-testid="make-identity">Make my encryption identity</button>
      </div>
    );
  }
  return (
    <div className="identity" data-testid="restore-identity">
      <h3>Restore your encryption identity</h3>
      <p>
        Your twin's key is <span className="mono">{ageRecipientOf(chainPk)}</span>. Load the identity file you saved
        when you created the twin, or paste its <code>AGE-SECRET-KEY-1…</code> line: the page checks it is that key.
      </p>
      <p className="row">
        <input
          type="file"
          accept=".txt,.key,text/plain"
          aria-label="identity file"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) await restore(await f.text());
          }}
        />
      </p>
      <textarea
        rows={2}
        value={pasted}
        onChange={(e) => setPasted(e.target.value)}
        aria-label="age identity"
        placeholder="AGE-SECRET-KEY-1…"
      />
      <p className="row">
        <button onClick={() => restore(pasted)} disabled={!pasted.trim()}>Restore</button>
        <label>
          <input
            type="checkbox"
            checked={keepRestored}
            onChange={(e) => setKeepRestored(e.target.checked)}
            data-testid="keep-restored"
          /> Keep it in this browser
        </label>
      </p>
      {error && <p className="error" role="alert" data-testid="identity-error">{error}</p>}
      <p className="note">
        Lost it? Deployments encrypted to it cannot be read again; a new identity serves the
        next ones. <button className="secondary" onClick={make} disabled={busy}>Make a new identity</button>
      </p>
    </div>
  );
}
