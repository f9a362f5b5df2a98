import { useEffect, useState } from 'react';
import { u8aEq } from '@polkadot/util';
import { mnemonicGenerate } from '@polkadot/util-crypto';
import { accountFromUri, ageKeyFromUri } from '../identity';
import { formatTft } from '../pricing';
import type { Balance } from '../grid/chain';
import { sentence, useSession } from '../session';

const DEV_ACCOUNTS = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

export function AccountPage() {
  const { chain, chainName, account, setAccount } = useSession();
  const [phrase, setPhrase] = useState('');
  const [fresh, setFresh] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [balance, setBalance] = useState<Balance | null>(null);
  const [chainPk, setChainPk] = useState<Uint8Array | null>(null);
  const [showIdentity, setShowIdentity] = useState(false);
  const devChain = /development|local/i.test(chainName);

  const open = async (uri: string, label: string) => {
    setError(null);
    try {
      const pair = accountFromUri(uri);
      const ageKey = await ageKeyFromUri(uri);
      setAccount({ label, pair, ageKey, twinId: await chain.twinIdOf(pair.address) });
      setShowIdentity(false);
    } catch (e) {
      setError(sentence(e));
    }
  };

  useEffect(() => {
    if (!account) return;
    let stop = false;
    const refresh = async () => {
      const [b, twin] = await Promise.all([chain.balance(account.pair.address), account.twinId ? chain.twin(account.twinId) : null]);
      if (!stop) { setBalance(b); setChainPk(twin?.pk ?? null); }
    };
    void refresh().catch((e) => setError(sentence(e)));
    const timer = setInterval(() => void refresh().catch(() => undefined), 6000);
    return () => { stop = true; clearInterval(timer); };
  }, [account, chain]);

  const run = async (what: string, f: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try { await f(); } catch (e) { setError(sentence(e)); } finally { setBusy(null); }
  };

  const createTwin = () => run('Creating your twin', async () => {
    if (!account) return;
    const twinId = await chain.createTwin(account.pair, account.ageKey.publicKey, (s) => setBusy(`Creating your twin: ${s}`));
    setAccount({ ...account, twinId });
  });
  const setKey = () => run('Setting your encryption key', async () => {
    if (!account?.twinId) return;
    const relay = (await chain.twin(account.twinId))?.relay ?? null;
    await chain.setTwinPk(account.pair, account.ageKey.publicKey, relay);
    setChainPk(account.ageKey.publicKey);
  });

  return (
    <>
      <section>
        <h2>Sign in</h2>
        <p className="note">Your phrase never leaves this page: the dashboard derives your account key and your encryption key (SPEC §9.5) from it here, and signs here.</p>
        {devChain && (
          <div className="row" data-testid="dev-accounts">
            <span>Dev accounts:</span>
            {DEV_ACCOUNTS.map((n) => <button key={n} className="secondary" onClick={() => open(`//${n}`, `//${n}`)}>{n}</button>)}
          </div>
        )}
        <div className="row" style={{ marginTop: 12 }}>
          <input style={{ flex: 1 }} type="password" placeholder="your 12 or 24 word phrase" value={phrase} onChange={(e) => setPhrase(e.target.value)} aria-label="phrase" />
          <button onClick={() => open(phrase.trim(), 'phrase')} disabled={!phrase.trim()}>Open</button>
          <button className="secondary" onClick={() => setFresh(mnemonicGenerate(12))}>New phrase</button>
        </div>
        {fresh && (
          <p className="ok">Write this phrase down; it is your account and the only key to your deployments. It is shown once:<br /><span className="mono" data-testid="new-phrase">{fresh}</span>
            <br /><button className="secondary" onClick={() => { void open(fresh, 'phrase'); setFresh(null); }}>Use it</button></p>
        )}
        <p className="note">A browser-extension wallet cannot be used yet: deployments and node requests are signed over raw bytes, which extensions wrap in <code>&lt;Bytes&gt;</code>.</p>
      </section>
      {error && <p className="error" role="alert">{error}</p>}
      {busy && <p className="note" role="status">{busy}…</p>}
      {account && (
        <section data-testid="account">
          <h2>{account.label}</h2>
          <div className="form">
            <span>Address</span><span className="mono" data-testid="address">{account.pair.address}</span>
            <span>Balance</span><span data-testid="balance">{balance ? `${formatTft(balance.free)} free, ${formatTft(balance.reserved)} held` : '…'}</span>
            <span>Twin</span>
            <span data-testid="twin">
              {account.twinId ? `twin ${account.twinId}` : <>none yet <button onClick={createTwin} disabled={busy !== null}>Create my twin</button></>}
            </span>
            <span>Encryption key</span>
            <span className="mono">{account.ageKey.recipient}
              {account.twinId && chainPk && !u8aEq(chainPk, account.ageKey.publicKey) && <><br /><span className="error">Your twin's key on chain is another one: deployments encrypted to it cannot be read with this phrase.</span> <button onClick={setKey}>Use this key</button></>}
              {account.twinId && !chainPk && <> <button onClick={setKey}>Publish it on my twin</button></>}
            </span>
            <span>Age identity</span>
            <span>{showIdentity ? <span className="mono">{account.ageKey.identity}</span> : <button className="secondary" onClick={() => setShowIdentity(true)}>Show (for the standard age tool)</button>}</span>
          </div>
        </section>
      )}
    </>
  );
}
