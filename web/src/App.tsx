import { useCallback, useEffect, useMemo, useState } from 'react';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { Chain } from './grid/chain';
import { Indexer } from './grid/indexer';
import type { Deployment } from './deployment';
import {
  type Account, type Page, SessionContext, endpoints, remember, remembered, saveEndpoints, sentence,
} from './session';
import { restore } from './accounts';
import { isDevChain } from './funding';
import { type Endpoints, offeredEndpoints, withoutOffer } from './links';
import { AccountPage } from './pages/AccountPage';
import { GridPage } from './pages/GridPage';
import { DeployPage } from './pages/DeployPage';
import { ContractsPage } from './pages/ContractsPage';
import { CosignPage } from './pages/CosignPage';
import { EndpointOffer } from './pages/EndpointOffer';

const PAGES: { id: Page; title: string }[] = [
  { id: 'account', title: 'Account' },
  { id: 'grid', title: 'Find a node' },
  { id: 'deploy', title: 'Deploy' },
  { id: 'contracts', title: 'My contracts' },
  { id: 'cosign', title: 'Co-sign' },
];

const PAGE_KEY = 'gridchain.page';

/** The page to show first: a co-signing link's, the Account page when a kept phrase account waits
 * for its password, else the one the tab showed before a reload. */
function firstPage(): Page {
  if (new URLSearchParams(window.location.hash.slice(1)).has('doc')) return 'cosign';
  if (remembered()?.kind === 'phrase') return 'account';
  const saved = sessionStorage.getItem(PAGE_KEY);
  return PAGES.some((p) => p.id === saved) ? (saved as Page) : 'account';
}

export function App() {
  const [where, setWhere] = useState<Endpoints>(endpoints());
  // A link's endpoints wait for the user's answer; meanwhile the page uses the saved ones.
  const [offer, setOffer] = useState(() => offeredEndpoints(window.location.search, where));
  const [chain, setChain] = useState<Chain | null>(null);
  const [chainName, setChainName] = useState('');
  const [devChain, setDevChain] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [account, setAccountState] = useState<Account | null>(null);
  const [restoreNote, setRestoreNote] = useState<string | null>(null);
  const [page, setPage] = useState<Page>(firstPage);
  const [nodeId, setNodeId] = useState<number | null>(null);
  const [document, setDocument] = useState<Deployment | null>(null);
  const [hash, setHash] = useState(window.location.hash);
  const indexer = useMemo(() => new Indexer(where.indexer), [where.indexer]);

  // A co-signing link opened while the page is open only changes the URL's fragment.
  useEffect(() => {
    const follow = () => {
      setHash(window.location.hash);
      if (new URLSearchParams(window.location.hash.slice(1)).has('doc')) setPage('cosign');
    };
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);

  // Connects to `where.rpc`; `connectTo` clears the last chain's connection and error first.
  useEffect(() => {
    let live: Chain | null = null;
    cryptoWaitReady()
      .then(() => Chain.connect(where.rpc))
      .then(async (c) => {
        live = c;
        const [name, dev] = await Promise.all([c.api.rpc.system.chain(), isDevChain(c)]);
        setChainName(name.toString());
        setDevChain(dev);
        setChain(c);
      })
      .catch((e) => setError(sentence(e)));
    return () => { void live?.disconnect(); };
  }, [where.rpc]);

  // Signed in again after a reload, unless the user chose an account meanwhile.
  useEffect(() => {
    if (!chain) return;
    let stale = false;
    restore(chain, remembered(), devChain).then((r) => {
      if (stale || !r) return;
      if ('account' in r) setAccountState((a) => a ?? r.account);
      if ('lost' in r) setRestoreNote(r.lost);
    }, (e) => { if (!stale) setRestoreNote(`You could not be signed in again: ${sentence(e)}`); });
    return () => { stale = true; };
  }, [chain, devChain]);

  const setAccount = useCallback((a: Account | null) => {
    setAccountState(a);
    setRestoreNote(null);
    remember(a?.remember ?? null);
  }, []);

  const connectTo = (e: Endpoints) => {
    saveEndpoints(e);
    if (e.rpc !== where.rpc) { setChain(null); setError(null); }
    setWhere(e);
  };
  // Decided either way: the address bar forgets the offer, so a reload does not ask again.
  const settleOffer = (accepted: boolean) => {
    if (accepted) connectTo({ ...where, ...offer });
    setOffer({});
    window.history.replaceState(window.history.state, '', withoutOffer(window.location.href));
  };

  const go = (p: Page, options: { nodeId?: number; document?: Deployment } = {}) => {
    if (options.nodeId !== undefined) setNodeId(options.nodeId);
    if (options.document !== undefined) setDocument(options.document);
    setPage(p);
    sessionStorage.setItem(PAGE_KEY, p);
  };

  return (
    <div className="app">
      <header>
        <h1>Gridchain</h1>
        <nav>
          {PAGES.map((p) => (
            <button
              key={p.id}
              className={p.id === page ? 'active' : ''}
              data-page={p.id}
              onClick={() => go(p.id)}
            >
              {p.title}
            </button>
          ))}
        </nav>
        <span className="who" data-testid="who">
          {account
            ? `${account.label} · ${account.twinId ? `twin ${account.twinId}` : 'no twin yet'}`
            : 'not signed in'}
        </span>
      </header>
      {(offer.rpc || offer.indexer) && (
        <EndpointOffer
          key={where.rpc}
          offer={offer}
          known={where}
          onAccept={() => settleOffer(true)}
          onDecline={() => settleOffer(false)}
        />
      )}
      <Endpoints
        key={`${where.rpc} ${where.indexer}`}
        where={where}
        onChange={connectTo}
        connected={chain !== null}
        chainName={chainName}
      />
      {error && <p className="error" role="alert" data-testid="connect-error">{error}</p>}
      {restoreNote && <p className="error" role="alert" data-testid="restore-note">{restoreNote}</p>}
      {chain ? (
        <SessionContext.Provider
          value={{ chain, indexer, chainName, devChain, account, setAccount, go, nodeId, document }}
        >
          <main data-testid={`page-${page}`}>
            {page === 'account' && <AccountPage />}
            {page === 'grid' && <GridPage />}
            {page === 'deploy' && <DeployPage />}
            {page === 'contracts' && <ContractsPage />}
            {page === 'cosign' && <CosignPage key={hash} />}
          </main>
        </SessionContext.Provider>
      ) : (!error && <p>Connecting to {where.rpc}…</p>)}
    </div>
  );
}

function Endpoints({ where, onChange, connected, chainName }: {
  where: Endpoints;
  onChange(e: Endpoints): void;
  connected: boolean;
  chainName: string;
}) {
  const [rpc, setRpc] = useState(where.rpc);
  const [indexer, setIndexer] = useState(where.indexer);
  return (
    <details className="endpoints">
      <summary>
        {connected ? `Connected to ${chainName} at ${where.rpc}` : `Chain ${where.rpc}`} · indexer {where.indexer}
      </summary>
      <label>Chain <input value={rpc} onChange={(e) => setRpc(e.target.value)} /></label>
      <label>Indexer <input value={indexer} onChange={(e) => setIndexer(e.target.value)} /></label>
      <button onClick={() => onChange({ rpc, indexer })}>Connect</button>
    </details>
  );
}
