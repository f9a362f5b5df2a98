import { useState } from 'react';
import { openKept } from '../accounts';
import { forgetKeptAccount, keptAccount } from '../keystore';
import { remember, remembered, sentence, useSession } from '../session';

/** The phrase account kept sealed in this browser, when it is not the one signed in: unlock it
 * with its password, or forget it. A wrong password leaves it as it was. */
export function KeptAccount() {
  const { chain, account, setAccount } = useSession();
  const [, setForgotten] = useState(0);
  const kept = keptAccount();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!kept || account?.address === kept.address) return null;

  const k = kept;
  const unlock = async () => {
    setBusy(true); setError(null);
    try {
      setAccount(await openKept(chain, k, password));
      setPassword('');
    } catch (e) {
      setError(sentence(e));
    } finally {
      setBusy(false);
    }
  };
  const forget = () => {
    forgetKeptAccount();
    if (remembered()?.kind === 'phrase') remember(null);
    setForgotten((n) => n + 1);
  };

  return (
    <section data-testid="kept-account">
      <h2>Your account kept in this browser</h2>
      <p>
        The account <span className="mono">{kept.address}</span> is kept here, encrypted with your password:
        unlock it to sign in.
      </p>
      <form className="row" onSubmit={(e) => { e.preventDefault(); void unlock(); }}>
        <input
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-label="password of the kept account"
          placeholder="password"
          autoComplete="current-password"
        />
        <button type="submit" disabled={busy || !password}>Unlock</button>
        <button type="button" className="secondary" onClick={forget} disabled={busy}>Forget this account</button>
      </form>
      {busy && (
        <p className="note" role="status">Unlocking (the password is stretched on purpose: this takes a moment)…</p>
      )}
      {error && <p className="error" role="alert" data-testid="unlock-error">{error}</p>}
    </section>
  );
}
