import { useEffect, useState } from 'react';
import type { FarmRow, NodeFilter, NodeRow } from '../grid/indexer';
import { sentence, useSession } from '../session';
import { GIB } from '../deployment';

const gib = (bytes: number) => `${Math.floor(bytes / GIB).toLocaleString('en-US')} GiB`;

/** Free and total of one resource; the cell's title says what contracts declared and report. */
function FreeCell({ n, r, show }: { n: NodeRow; r: 'cru' | 'mru' | 'sru' | 'hru'; show: (v: number) => string | number }) {
  return <td title={`declared by contracts: ${show(n.declared[r])}; their latest reports: ${show(n.used[r])}`}>{show(n.free[r])} / {show(n.total[r])}</td>;
}

export function GridPage() {
  const { indexer, go } = useSession();
  const [country, setCountry] = useState('');
  const [farmId, setFarmId] = useState('');
  const [certified, setCertified] = useState(false);
  const [cpu, setCpu] = useState('');
  const [memory, setMemory] = useState('');
  const [ssd, setSsd] = useState('');
  const [hdd, setHdd] = useState('');
  const [ips, setIps] = useState('');
  const [nodes, setNodes] = useState<{ totalCount: number; items: NodeRow[] } | null>(null);
  const [farms, setFarms] = useState<FarmRow[]>([]);
  const [error, setError] = useState<string | null>(null);

  const search = async () => {
    setError(null);
    const num = (s: string, scale = 1) => (s.trim() === '' ? undefined : Math.round(Number(s) * scale));
    const filter: NodeFilter = {
      country: country.trim() || undefined,
      farmId: num(farmId),
      certified: certified || undefined,
      freeCru: num(cpu),
      freeMru: num(memory, GIB),
      freeSru: num(ssd, GIB),
      freeHru: num(hdd, GIB),
      freeIps: num(ips),
    };
    for (const [k, v] of Object.entries(filter)) if (typeof v === 'number' && (!Number.isFinite(v) || v < 0)) { setError(`${k}: give a number of 0 or more`); return; }
    try {
      const [n, f] = await Promise.all([indexer.nodes(filter), indexer.farms()]);
      setNodes(n);
      setFarms(f);
    } catch (e) {
      setError(sentence(e));
    }
  };

  useEffect(() => { void search(); }, []); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <>
      <section>
        <h2>Find a node</h2>
        <div className="row">
          <label>Country <input size={4} value={country} onChange={(e) => setCountry(e.target.value)} aria-label="country" /></label>
          <label>Farm <input size={4} value={farmId} onChange={(e) => setFarmId(e.target.value)} aria-label="farm" /></label>
          <label>Free vCPU ≥ <input size={3} value={cpu} onChange={(e) => setCpu(e.target.value)} aria-label="free cpu" /></label>
          <label>memory GiB ≥ <input size={4} value={memory} onChange={(e) => setMemory(e.target.value)} aria-label="free memory" /></label>
          <label>SSD GiB ≥ <input size={5} value={ssd} onChange={(e) => setSsd(e.target.value)} aria-label="free ssd" /></label>
          <label>HDD GiB ≥ <input size={5} value={hdd} onChange={(e) => setHdd(e.target.value)} aria-label="free hdd" /></label>
          <label>public IPs ≥ <input size={3} value={ips} onChange={(e) => setIps(e.target.value)} aria-label="free ips" /></label>
          <label><input type="checkbox" checked={certified} onChange={(e) => setCertified(e.target.checked)} /> certified only</label>
          <button onClick={search}>Search</button>
        </div>
        <p className="note" data-testid="free-rule">Free is what the node's live contracts have not declared: its capacity minus the capacity each contract reserves on chain, not what they report using. A deployment fits a node when its capacity is within what is free.</p>
      </section>
      {error && <p className="error" role="alert">{error}</p>}
      {nodes && (
        <section>
          <h2 data-testid="node-count">{nodes.totalCount} node{nodes.totalCount === 1 ? '' : 's'}</h2>
          <table data-testid="nodes">
            <thead><tr><th>Node</th><th>Farm</th><th>Where</th><th>Certified</th><th>vCPU free / total</th><th>Memory free / total</th><th>SSD free / total</th><th>HDD free / total</th><th>Free IPs</th><th></th></tr></thead>
            <tbody>
              {nodes.items.map((n) => (
                <tr key={n.id} data-node={n.id}>
                  <td>{n.id}</td><td>{n.farmId}</td><td>{n.city}, {n.country}</td><td>{n.certified ? 'yes' : 'no'}</td>
                  <FreeCell n={n} r="cru" show={(v) => v} /><FreeCell n={n} r="mru" show={gib} />
                  <FreeCell n={n} r="sru" show={gib} /><FreeCell n={n} r="hru" show={gib} /><td>{n.freeIps}</td>
                  <td><button onClick={() => go('deploy', { nodeId: n.id })}>Deploy here</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {farms.length > 0 && (
        <section>
          <h2>Farms</h2>
          <table data-testid="farms">
            <thead><tr><th>Farm</th><th>Name</th><th>Owner twin</th><th>Pricing policy</th><th>Public IPs (free)</th><th>Dedicated</th></tr></thead>
            <tbody>
              {farms.map((f) => (
                <tr key={f.id}><td>{f.id}</td><td>{f.name}</td><td>{f.twinId}</td><td>{f.pricingPolicyId}</td><td>{f.publicIps.length} ({f.freeIps})</td><td>{f.dedicated ? 'yes' : 'no'}</td></tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
