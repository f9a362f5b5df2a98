import { useCallback, useEffect, useState } from 'react';
import { type Deployment, DeploymentError, canonical, describeResources, parseDeployment } from '../deployment';
import { readDeployment, update, withMySignature } from '../flows';
import { shareLink } from '../links';
import { AgentClient, type DeploymentStatus } from '../grid/agent';
import type { Balance, ContractView } from '../grid/chain';
import type { BillRow, ContractRow } from '../grid/indexer';
import { formatTft } from '../pricing';
import { sentence, useSession } from '../session';
import { BillsChart } from './BillsChart';
import { Steps, useSteps } from './Steps';

interface Row { id: number; chain: ContractView | null; indexed: ContractRow | null }

/** The edited document as an update: the next version, and that version on each workload that
 * changed; no signature yet (the old ones were over the old version). */
function asUpdate(old: Deployment, edited: Deployment): Deployment {
  const version = old.version + 1;
  const before = new Map(old.workloads.map((w) => [w.name, canonical({ ...w, version: 0 })]));
  return {
    ...edited,
    version,
    contract_id: old.contract_id,
    signature_requirement: { ...edited.signature_requirement, signatures: [] },
    workloads: edited.workloads.map((w) => (before.get(w.name) === canonical({ ...w, version: 0 }) ? w : { ...w, version }) as typeof w),
  };
}

export function ContractsPage() {
  const { chain, indexer, account } = useSession();
  const [rows, setRows] = useState<Row[]>([]);
  const [balance, setBalance] = useState<Balance | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [indexerError, setIndexerError] = useState<string | null>(null);

  const load = useCallback(async () => {
    if (!account?.twinId) return;
    const twinId = account.twinId;
    const [ids, b] = await Promise.all([chain.contractsOfTwin(twinId), chain.balance(account.address)]);
    setBalance(b);
    const live = await Promise.all(ids.map((id) => chain.contract(id)));
    let indexed: ContractRow[] = [];
    try {
      indexed = await indexer.contractsOfTwin(twinId);
      setIndexerError(null);
    } catch (e) {
      setIndexerError(sentence(e));
    }
    const all = new Map<number, Row>();
    for (const c of live) if (c) all.set(c.id, { id: c.id, chain: c, indexed: null });
    for (const r of indexed) all.set(r.id, { id: r.id, chain: all.get(r.id)?.chain ?? null, indexed: r });
    setRows([...all.values()].sort((a, b) => b.id - a.id));
  }, [account, chain, indexer]);

  useEffect(() => {
    void load().catch((e) => setError(sentence(e)));
    const timer = setInterval(() => void load().catch(() => undefined), 5000);
    return () => clearInterval(timer);
  }, [load]);

  if (!account) return <section><p>Sign in on the Account page first.</p></section>;
  if (!account.twinId) return <section><p>You have no twin yet: create it on the Account page.</p></section>;
  const billedTotal = rows.reduce((sum, r) => sum + BigInt(r.indexed?.billed ?? '0'), 0n);
  return (
    <>
      <section>
        <h2>My contracts</h2>
        <p data-testid="totals">Balance {balance ? `${formatTft(balance.free)} free, ${formatTft(balance.reserved)} held as deposits` : '…'} · spent in all {formatTft(billedTotal)}</p>
        {error && <p className="error" role="alert">{error}</p>}
        {indexerError && <p className="error">{indexerError} (bills and ended contracts are missing)</p>}
        <table data-testid="contracts">
          <thead><tr><th>Contract</th><th>Kind</th><th>State</th><th>Node</th><th>Public IPs</th><th>Deposit</th><th>Billed</th><th></th></tr></thead>
          <tbody>
            {rows.map((r) => {
              const state = r.chain ? r.chain.state + (r.chain.graceSince !== null ? ` since block ${r.chain.graceSince}` : '') : r.indexed?.state ?? '';
              return (
                <tr key={r.id} data-contract={r.id}>
                  <td>{r.id}</td><td>{r.chain?.kind ?? r.indexed?.kind}</td><td data-testid={`state-${r.id}`}>{state}</td>
                  <td>{r.chain?.nodeId ?? r.indexed?.nodeId ?? ''}</td>
                  <td>{r.chain ? r.chain.publicIps.map((i) => i.ip).join(', ') : ''}</td>
                  <td>{r.indexed ? formatTft(BigInt(r.indexed.deposit)) : ''}</td>
                  <td>{r.indexed ? formatTft(BigInt(r.indexed.billed)) : ''}</td>
                  <td><button className="secondary" onClick={() => setSelected(r.id)}>Open</button></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      {selected !== null && <ContractDetail key={selected} row={rows.find((r) => r.id === selected) ?? null} balance={balance} reload={load} />}
    </>
  );
}

function ContractDetail({ row, balance, reload }: { row: Row | null; balance: Balance | null; reload(): Promise<void> }) {
  const { chain, indexer, account } = useSession();
  const [doc, setDoc] = useState<Deployment | null>(null);
  const [edit, setEdit] = useState<string | null>(null);
  const [status, setStatus] = useState<DeploymentStatus | null>(null);
  const [logs, setLogs] = useState<Record<string, string[]>>({});
  const [bills, setBills] = useState<{ totalAmount: string; items: BillRow[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [steps, step, resetSteps] = useSteps();
  const id = row?.id ?? 0;

  useEffect(() => {
    if (!id) return;
    const refresh = () => indexer.bills(id).then(setBills, (e) => setError(sentence(e)));
    void refresh();
    const timer = setInterval(refresh, 5000);
    return () => clearInterval(timer);
  }, [id, indexer]);

  if (!row || !account) return null;
  const live = row.chain;
  const kind = live?.kind ?? row.indexed?.kind;
  const declared = live?.capacity ?? (kind === 'node' ? row.indexed?.capacity : null) ?? null;
  const run = async (f: () => Promise<void>) => {
    setBusy(true); setError(null); setMessage(null); setLink(null);
    try { await f(); } catch (e) { setError(e instanceof DeploymentError ? `${e.rule}: ${e.message}` : sentence(e)); } finally { setBusy(false); }
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
  const cancel = () => run(async () => {
    if (!window.confirm(`Cancel contract ${row.id}? Its workloads are removed and its public IPs freed.`)) return;
    await chain.cancelContract(account.tx, row.id);
    setMessage(`Contract ${row.id} is cancelled; its deposit is released.`);
    await reload();
  });
  const saveUpdate = () => run(async () => {
    if (!doc || edit === null) return;
    resetSteps();
    const next = asUpdate(doc, parseDeployment(edit));
    await update(chain, account, row.id, doc, next, step);
    setDoc(await readDeployment(chain, account, row.id));
    setEdit(null);
    setMessage(`Contract ${row.id} is updated to version ${next.version}.`);
  });
  // When other twins must sign too (§9.4: the new requirement's and the old one's), the update
  // goes to them as a co-signing link; the co-sign page then updates the contract.
  const passOnUpdate = () => run(async () => {
    if (!doc || edit === null) return;
    const next = asUpdate(doc, parseDeployment(edit));
    setLink(shareLink(await withMySignature(next, account, [next, doc]), window.location.href));
  });
  const namesOthers = (d: Deployment) => d.signature_requirement.requests.some((r) => r.twin_id !== account.twinId);
  const othersSign = (doc !== null && namesOthers(doc)) || (edit !== null && (() => { try { return namesOthers(parseDeployment(edit)); } catch { return false; } })());

  // How long the balance lasts at the rate of this contract's recent bills.
  let lasts: string | null = null;
  if (bills && bills.items.length >= 3 && balance) {
    const recent = bills.items.slice(-10);
    const span = recent[recent.length - 1].time - recent[0].time;
    const spent = recent.slice(1).reduce((s, b) => s + BigInt(b.amount), 0n);
    if (span > 0 && spent > 0n) {
      const perHour = (spent * 3600n) / BigInt(span);
      const hours = Number(balance.free / (perHour > 0n ? perHour : 1n));
      lasts = `about ${formatTft(perHour)} an hour: your free balance lasts ${hours > 48 ? `${Math.floor(hours / 24).toLocaleString('en-US')} days` : `${hours} hours`} at this rate`;
    }
  }

  return (
    <section data-testid="contract-detail">
      <h2>Contract {row.id}</h2>
      <div className="form">
        <span>State</span><span data-testid="detail-state">{live ? live.state : row.indexed?.state}{live?.graceSince != null ? ` since block ${live.graceSince}: top up your balance before the grace period ends` : ''}</span>
        <span>Node</span><span>{live?.nodeId ?? row.indexed?.nodeId}</span>
        <span>Version</span><span>{live?.version}</span>
        <span>Deployment hash</span><span className="mono">{live?.deploymentHash}</span>
        <span>Public IPs</span><span>{live?.publicIps.map((i) => `${i.ip} (gateway ${i.gateway})`).join(', ') || 'none'}</span>
        {declared && <><span>Declared capacity</span><span data-testid="declared">{describeResources(declared)}: reserved on node {live?.nodeId ?? row.indexed?.nodeId}, and the most its reports may bill</span></>}
        <span>Deposit held</span><span>{row.indexed ? formatTft(BigInt(row.indexed.deposit)) : ''}</span>
        <span>Spent</span><span data-testid="spent">{bills ? `${formatTft(BigInt(bills.totalAmount))} in ${bills.items.length} bill${bills.items.length === 1 ? '' : 's'}` : '…'}</span>
        <span>Rate</span><span>{lasts ?? 'a few bills are needed to tell'}</span>
      </div>
      {live?.kind === 'node' && (
        <p className="row">
          <button onClick={decrypt} disabled={busy}>Decrypt the deployment</button>
          <button className="secondary" onClick={nodeStatus} disabled={busy}>Ask the node</button>
          {doc && <button className="secondary" onClick={() => setEdit(JSON.stringify(doc, null, 2))} disabled={busy}>Update</button>}
          <button className="danger" onClick={cancel} disabled={busy}>Cancel the contract</button>
        </p>
      )}
      {error && <p className="error" role="alert" data-testid="detail-error">{error}</p>}
      {message && <p className="ok" data-testid="detail-message">{message}</p>}
      {doc && edit === null && <><h3>The deployment, decrypted from the chain (its hash checked)</h3><pre data-testid="decrypted">{JSON.stringify(doc, null, 2)}</pre></>}
      {edit !== null && (
        <>
          <h3>Edit, then sign and update (the version and changed workloads are bumped for you)</h3>
          <textarea rows={16} value={edit} onChange={(e) => setEdit(e.target.value)} aria-label="updated document" />
          <p className="row">
            <button onClick={saveUpdate} disabled={busy}>Sign and update</button>
            {othersSign && <button onClick={passOnUpdate} disabled={busy}>Sign and pass on to co-signers</button>}
            <button className="secondary" onClick={() => setEdit(null)}>Discard</button>
          </p>
          {othersSign && <p className="note">The current version names co-signers: the update needs their signatures too, enough to satisfy the current requirement and the new one.</p>}
          {link && <p className="ok">Signed by you. Send this link to the co-signers; once they signed, open it and update: <a href={link} className="mono" data-testid="update-share-link">{link}</a></p>}
          <Steps steps={steps} />
        </>
      )}
      {status && (
        <table data-testid="node-status"><thead><tr><th>Workload</th><th>State</th><th>Message</th><th>Data</th></tr></thead>
          <tbody>{status.workloads.map((w) => <tr key={w.name}><td>{w.name}</td><td>{w.state}</td><td>{w.message}</td><td className="mono">{JSON.stringify(w.data)}</td></tr>)}</tbody></table>
      )}
      {status && status.deployment.workloads.some((w) => w.type === 'vm') && (
        <>
          <h3>Logs</h3>
          {status.deployment.workloads.filter((w) => w.type === 'vm').map((w) => (
            <div key={w.name} data-testid={`logs-${w.name}`}>
              <p className="row"><button className="secondary" onClick={() => readLogs(w.name)} disabled={busy}>{logs[w.name] ? `Refresh the logs of ${w.name}` : `Show the logs of ${w.name}`}</button></p>
              {logs[w.name] && <pre>{logs[w.name].length > 0 ? logs[w.name].join('\n') : `${w.name} has written nothing yet.`}</pre>}
            </div>
          ))}
        </>
      )}
      <h3>Bills</h3>
      {bills && bills.items.length > 0 ? (
        <>
          <BillsChart bills={bills.items} />
          <table data-testid="bills"><thead><tr><th>Block</th><th>Time (UTC)</th><th>Amount</th><th>Discount</th></tr></thead>
            <tbody>{[...bills.items].reverse().slice(0, 50).map((b) => <tr key={`${b.blockNumber}`}><td>{b.blockNumber}</td><td>{new Date(b.time * 1000).toISOString().replace('T', ' ').slice(0, 19)}</td><td data-units={b.amount}>{formatTft(BigInt(b.amount))}</td><td>{b.discountLevel}</td></tr>)}</tbody></table>
        </>
      ) : <p className="note" data-testid="no-bills">No bill yet: the chain settles every contract every few blocks.</p>}
    </section>
  );
}
