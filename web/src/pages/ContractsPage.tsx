import { useCallback, useEffect, useState } from 'react';
import { type Deployment, DeploymentError, describeResources } from '../deployment';
import { readDeployment } from '../flows';
import { AgentClient, type DeploymentStatus } from '../grid/agent';
import type { Balance, Chain, ContractView } from '../grid/chain';
import type { BillRow, ContractRow, Indexer } from '../grid/indexer';
import { formatTft } from '../pricing';
import { sentence, useBalance, useSession } from '../session';
import { BillsChart } from './BillsChart';
import { Steps, useSteps } from './Steps';
import { UpdatePanel } from './UpdatePanel';

interface Row { id: number; chain: ContractView | null; indexed: ContractRow | null }

/** What the page shows for a figure only the indexer knows, when the indexer could not be asked:
 * that it cannot know, never a zero. */
const unknownFigure = (indexerUrl: string) => `unknown — the indexer at ${indexerUrl} does not answer`;

/** The state of a contract no longer on chain: ended, whatever live state the indexer, a few
 * blocks behind, may still have. */
const endedState = (indexed: ContractRow | null) => (
  indexed && !['created', 'deployed', 'grace_period'].includes(indexed.state) ? indexed.state : 'ended'
);

/** The twin's contracts, newest first: those on chain, and those the indexer knows (ended ones
 * too), or why the indexer could not be asked. */
async function readRows(
  chain: Chain,
  indexer: Indexer,
  twinId: number,
): Promise<{ rows: Row[]; indexerError: string | null }> {
  const ids = await chain.contractsOfTwin(twinId);
  const live = await Promise.all(ids.map((id) => chain.contract(id)));
  let indexed: ContractRow[] = [];
  let indexerError: string | null = null;
  try {
    indexed = await indexer.contractsOfTwin(twinId);
  } catch (e) {
    indexerError = sentence(e);
  }
  const all = new Map<number, Row>();
  for (const c of live) if (c) all.set(c.id, { id: c.id, chain: c, indexed: null });
  for (const r of indexed) all.set(r.id, { id: r.id, chain: all.get(r.id)?.chain ?? null, indexed: r });
  return { rows: [...all.values()].sort((a, b) => b.id - a.id), indexerError };
}

export function ContractsPage() {
  const { chain, indexer, account } = useSession();
  const [rows, setRows] = useState<Row[]>([]);
  const balance = useBalance(chain, account?.address ?? null);
  const [selected, setSelected] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [indexerError, setIndexerError] = useState<string | null>(null);

  const load = useCallback(() => {
    if (!account?.twinId) return Promise.resolve();
    return readRows(chain, indexer, account.twinId).then((read) => {
      setIndexerError(read.indexerError);
      setRows(read.rows);
    });
  }, [account, chain, indexer]);

  useEffect(() => {
    void load().catch((e) => setError(sentence(e)));
    const timer = setInterval(() => void load().catch(() => undefined), 5000);
    return () => clearInterval(timer);
  }, [load]);

  if (!account) return <section><p>Sign in on the Account page first.</p></section>;
  if (!account.twinId) return <section><p>You have no twin yet: create it on the Account page.</p></section>;
  const billedTotal = rows.reduce((sum, r) => sum + BigInt(r.indexed?.billed ?? '0'), 0n);
  const unknown = indexerError ? unknownFigure(indexer.url) : null;
  const balanceText = balance
    ? `${formatTft(balance.free)} free, ${formatTft(balance.reserved)} held as deposits`
    : '…';
  return (
    <>
      <section>
        <h2>My contracts</h2>
        <p data-testid="totals">
          Balance {balanceText} ·
          spent in all <span data-testid="spent-in-all">{unknown ?? formatTft(billedTotal)}</span>
        </p>
        {error && <p className="error" role="alert">{error}</p>}
        {indexerError && <p className="error">{indexerError} (bills and ended contracts are missing)</p>}
        <table data-testid="contracts">
          <thead>
            <tr>
              <th>Contract</th>
              <th>Kind</th>
              <th>State</th>
              <th>Node</th>
              <th>Public IPs</th>
              <th>Deposit</th>
              <th>Billed</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const state = r.chain
                ? r.chain.state + (r.chain.graceSince !== null ? ` since block ${r.chain.graceSince}` : '')
                : endedState(r.indexed);
              return (
                <tr key={r.id} data-contract={r.id}>
                  <td>{r.id}</td>
                  <td>{r.chain?.kind ?? r.indexed?.kind}</td>
                  <td data-testid={`state-${r.id}`}>{state}</td>
                  <td>{r.chain?.nodeId ?? r.indexed?.nodeId ?? ''}</td>
                  <td>{r.chain ? r.chain.publicIps.map((i) => i.ip).join(', ') : ''}</td>
                  <td>{r.chain ? formatTft(r.chain.deposit) : r.indexed ? 'released' : ''}</td>
                  <td>{r.indexed ? formatTft(BigInt(r.indexed.billed)) : unknown ? 'unknown' : ''}</td>
                  <td><button className="secondary" onClick={() => setSelected(r.id)}>Open</button></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      {selected !== null && (
        <ContractDetail
          key={selected}
          row={rows.find((r) => r.id === selected) ?? null}
          balance={balance}
          reload={load}
        />
      )}
    </>
  );
}

function ContractDetail({ row: current, balance, reload }: {
  row: Row | null;
  balance: Balance | null;
  reload(): Promise<void>;
}) {
  const { chain, indexer, account } = useSession();
  // A contract cancelled while the indexer is down drops out of the list: it stays shown, ended.
  const [seen, setSeen] = useState(current);
  if (current && current !== seen) setSeen(current);
  const row = current ?? (seen ? { ...seen, chain: null } : null);
  const [doc, setDoc] = useState<Deployment | null>(null);
  const [updating, setUpdating] = useState(false);
  const [status, setStatus] = useState<DeploymentStatus | null>(null);
  const [logs, setLogs] = useState<Record<string, string[]>>({});
  const [bills, setBills] = useState<{ totalAmount: string; items: BillRow[] } | null>(null);
  const [billsUnknown, setBillsUnknown] = useState(false);
  const [cancelSteps, cancelStep, resetCancelSteps, failCancelSteps] = useSteps();
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = row?.id ?? 0;

  useEffect(() => {
    if (!id) return;
    const refresh = () => indexer.bills(id).then(
      (b) => { setBills(b); setBillsUnknown(false); },
      () => { setBills(null); setBillsUnknown(true); },
    );
    void refresh();
    const timer = setInterval(refresh, 5000);
    return () => clearInterval(timer);
  }, [id, indexer]);

  if (!row || !account) return null;
  const live = row.chain;
  const kind = live?.kind ?? row.indexed?.kind;
  const declared = live?.capacity ?? (kind === 'node' ? row.indexed?.capacity : null) ?? null;
  const run = async (f: () => Promise<void>) => {
    setBusy(true); setError(null); setMessage(null);
    try {
      await f();
    } catch (e) {
      setError(e instanceof DeploymentError ? `${e.rule}: ${e.message}` : sentence(e));
    } finally {
      setBusy(false);
    }
  };
  const decrypt = () => run(async () => { setDoc(await readDeployment(chain, account, row.id)); });
  const nodeAgent = async () => {
    if (!live?.nodeId || !account.twinId) return null;
    return new AgentClient(await chain.agentUrl(live.nodeId), account.twinId, account.signer);
  };
  const nodeStatus = () => run(async () => {
    const agent = await nodeAgent();
    if (agent) setStatus(await agent.status(row.id));
  });
  const readLogs = (workload: string) => run(async () => {
    const agent = await nodeAgent();
    if (!agent) return;
    const { lines } = await agent.logs(row.id, workload);
    setLogs((all) => ({ ...all, [workload]: lines }));
  });
  const cancel = async () => {
    if (!window.confirm(`Cancel contract ${row.id}? Its workloads are removed and its public IPs freed.`)) return;
    setBusy(true); setError(null); setMessage(null); resetCancelSteps();
    const what = `Cancelling contract ${row.id} on chain`;
    try {
      cancelStep('cancel', 'running', what);
      await chain.cancelContract(account.tx, row.id, (s) => cancelStep('cancel', 'running', `${what}: ${s}`));
      cancelStep('cancel', 'done', `Contract ${row.id} cancelled: its workloads are removed, its deposit released`);
      cancelStep('reload', 'running', 'Reloading your balance and contracts');
      await reload();
      cancelStep('reload', 'done', 'Your balance and contracts are up to date');
      setMessage(`Contract ${row.id} is cancelled; its deposit is released.`);
    } catch (e) {
      failCancelSteps(e);
    } finally {
      setBusy(false);
    }
  };
  // The update form and, when the node runs another version than the chain holds, its recovery.
  const changed = async (m: string) => {
    setMessage(m);
    setDoc(null);
    await reload();
  };

  // How long the balance lasts at the rate of this contract's recent bills, while it lives.
  let lasts: string | null = null;
  if (live && bills && bills.items.length >= 3 && balance) {
    const recent = bills.items.slice(-10);
    const span = recent[recent.length - 1].time - recent[0].time;
    const spent = recent.slice(1).reduce((s, b) => s + BigInt(b.amount), 0n);
    if (span > 0 && spent > 0n) {
      const perHour = (spent * 3600n) / BigInt(span);
      const hours = Number(balance.free / (perHour > 0n ? perHour : 1n));
      const duration = hours > 48 ? `${Math.floor(hours / 24).toLocaleString('en-US')} days` : `${hours} hours`;
      lasts = `about ${formatTft(perHour)} an hour: your free balance lasts ${duration} at this rate`;
    }
  }

  const documentVersion = doc?.version ?? status?.deployment.version ?? null;
  return (
    <section data-testid="contract-detail">
      <h2>Contract {row.id}</h2>
      <div className="form">
        <span>State</span>
        <span data-testid="detail-state">
          {live ? live.state : endedState(row.indexed)}
          {live?.graceSince != null
            ? ` since block ${live.graceSince}: top up your balance before the grace period ends`
            : ''}
        </span>
        <span>Node</span><span>{live?.nodeId ?? row.indexed?.nodeId}</span>
        <span>Contract version</span>
        <span data-testid="contract-version">
          {live ? `${live.version} (the chain counts each change of the contract)` : 'none: the contract has ended'}
        </span>
        <span>Document version</span>
        <span data-testid="document-version">
          {documentVersion ?? 'decrypt the deployment, or ask the node, to see it'}
        </span>
        <span>Deployment hash</span><span className="mono">{live?.deploymentHash}</span>
        <span>Public IPs</span>
        <span>{live?.publicIps.map((i) => `${i.ip} (gateway ${i.gateway})`).join(', ') || 'none'}</span>
        {declared && (
          <>
            <span>Declared capacity</span>
            <span data-testid="declared">
              {describeResources(declared)}: reserved on node {live?.nodeId ?? row.indexed?.nodeId}, and the most its
              reports may bill
            </span>
          </>
        )}
        <span>Deposit held</span>
        <span data-testid="deposit-held">
          {live ? formatTft(live.deposit) : 'none: released when the contract ended'}
        </span>
        <span>Spent</span>
        <span data-testid="spent">
          {billsUnknown ? unknownFigure(indexer.url) : bills ? spentIn(bills) : '…'}
        </span>
        <span>Rate</span>
        <span data-testid="rate">
          {!live ? 'none: the contract has ended'
            : billsUnknown ? 'unknown: the bills are not known'
            : lasts ?? 'a few bills are needed to tell'}
        </span>
      </div>
      {live?.kind === 'node' && (
        <p className="row">
          <button onClick={decrypt} disabled={busy}>Decrypt the deployment</button>
          <button className="secondary" onClick={nodeStatus} disabled={busy}>Ask the node</button>
          <button className="secondary" onClick={() => setUpdating(true)} disabled={busy || updating}>Update</button>
          <button className="danger" onClick={cancel} disabled={busy}>Cancel the contract</button>
        </p>
      )}
      <Steps steps={cancelSteps} />
      {error && <p className="error" role="alert" data-testid="detail-error">{error}</p>}
      {message && <p className="ok" data-testid="detail-message">{message}</p>}
      {doc && (
        <>
          <h3>The deployment, decrypted from the chain (its hash checked)</h3>
          <pre data-testid="decrypted">{JSON.stringify(doc, null, 2)}</pre>
        </>
      )}
      {live?.kind === 'node' && (
        <UpdatePanel contract={live} editing={updating} onClose={() => setUpdating(false)} onChanged={changed} />
      )}
      {status && (
        <table data-testid="node-status">
          <thead><tr><th>Workload</th><th>State</th><th>Message</th><th>Data</th></tr></thead>
          <tbody>
            {status.workloads.map((w) => (
              <tr key={w.name}>
                <td>{w.name}</td>
                <td>{w.state}</td>
                <td>{w.message}</td>
                <td className="mono">{JSON.stringify(w.data)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {status && status.deployment.workloads.some((w) => w.type === 'vm') && (
        <>
          <h3>Logs</h3>
          {status.deployment.workloads.filter((w) => w.type === 'vm').map((w) => (
            <div key={w.name} data-testid={`logs-${w.name}`}>
              <p className="row">
                <button className="secondary" onClick={() => readLogs(w.name)} disabled={busy}>
                  {logs[w.name] ? `Refresh the logs of ${w.name}` : `Show the logs of ${w.name}`}
                </button>
              </p>
              {logs[w.name] && (
                <pre>{logs[w.name].length > 0 ? logs[w.name].join('\n') : `${w.name} has written nothing yet.`}</pre>
              )}
            </div>
          ))}
        </>
      )}
      <h3>Bills</h3>
      <Bills bills={bills} unknown={billsUnknown ? unknownFigure(indexer.url) : null} />
    </section>
  );
}

const spentIn = (bills: { totalAmount: string; items: BillRow[] }) =>
  `${formatTft(BigInt(bills.totalAmount))} in ${bills.items.length} bill${bills.items.length === 1 ? '' : 's'}`;

/** A contract's bills as a chart and a table, or why they are not known. */
function Bills({ bills, unknown }: { bills: { items: BillRow[] } | null; unknown: string | null }) {
  if (unknown) return <p className="error" data-testid="bills-unknown">{unknown}: the page cannot know the bills.</p>;
  if (!bills) return <p className="note">Reading the bills…</p>;
  if (bills.items.length === 0) {
    return (
      <p className="note" data-testid="no-bills">No bill yet: the chain settles every contract every few blocks.</p>
    );
  }
  const time = (b: BillRow) => new Date(b.time * 1000).toISOString().replace('T', ' ').slice(0, 19);
  return (
    <>
      <BillsChart bills={bills.items} />
      <table data-testid="bills">
        <thead><tr><th>Block</th><th>Time (UTC)</th><th>Amount</th><th>Discount</th></tr></thead>
        <tbody>
          {[...bills.items].reverse().slice(0, 50).map((b) => (
            <tr key={`${b.blockNumber}`}>
              <td>{b.blockNumber}</td>
              <td>{time(b)}</td>
              <td data-units={b.amount}>{formatTft(BigInt(b.amount))}</td>
              <td>{b.discountLevel}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
