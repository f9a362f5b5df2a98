import { useEffect, useState } from 'react';
import type { FarmRow, NodeFilter, NodeRow } from '../grid/indexer';
import { sentence, useSession } from '../session';
import { GIB } from '../deployment';

const gib = (bytes: number) => `${Math.floor(bytes / GIB).toLocaleString('en-US')} GiB`;

/** A country as nodes register it, whatever the case typed: a two-letter code in capitals
 * ("be" → "BE"), a name with each word capitalized ("united kingdom" → "United Kingdom"). The
 * indexer compares countries exactly. */
export function countryFilter(typed: string): string | undefined {
  const t = typed.trim();
  if (t === '') return undefined;
  if (/^[a-z]{2}$/i.test(t)) return t.toUpperCase();
  return t.toLowerCase().replace(/(^|[\s-])(\p{L})/gu, (_, sep: string, letter: string) => sep + letter.toUpperCase());
}

/** A "at least" field: undefined when empty, else a number of 0 or more (× `scale`), or the
 * sentence that says what is wrong, in the words of the field's label. */
function atLeast(label: string, text: string, scale = 1): number | undefined {
  if (text.trim() === '') return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${label}: give a number of 0 or more`);
  return Math.round(v * scale);
}

/** Free and total of one resource; the cell's title says what contracts declared and report. */
function FreeCell({ n, r, show }: {
  n: NodeRow;
  r: 'cru' | 'mru' | 'sru' | 'hru';
  show: (v: number) => string | number;
}) {
  const title = `declared by contracts: ${show(n.declared[r])}; their latest reports: ${show(n.used[r])}`;
  return <td title={title}>{show(n.free[r])} / {show(n.total[r])}</td>;
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
  // The filter last searched with: every node at first, then each search's (a new object each time,
  // so searching again asks again).
  const [filter, setFilter] = useState<NodeFilter>({});

  useEffect(() => {
    let stale = false;
    Promise.all([indexer.nodes(filter), indexer.farms()]).then(([n, f]) => {
      if (!stale) { setNodes(n); setFarms(f); }
    }, (e) => { if (!stale) setError(sentence(e)); });
    return () => { stale = true; };
  }, [indexer, filter]);

  const search = () => {
    setError(null);
    try {
      setFilter({
        country: countryFilter(country),
        farmId: atLeast('Farm', farmId),
        certified: certified || undefined,
        freeCru: atLeast('Free vCPU', cpu),
        freeMru: atLeast('Free memory', memory, GIB),
        freeSru: atLeast('Free SSD', ssd, GIB),
        freeHru: atLeast('Free HDD', hdd, GIB),
        freeIps: atLeast('Free public IPs', ips),
      });
    } catch (e) {
      setError(sentence(e));
    }
  };

  return (
    <>
      <section>
        <h2>Find a node</h2>
        <form className="row" onSubmit={(e) => { e.preventDefault(); search(); }}>
          <label>
            Country <input size={4} value={country} onChange={(e) => setCountry(e.target.value)} aria-label="country" />
          </label>
          <label>
            Farm <input size={4} value={farmId} onChange={(e) => setFarmId(e.target.value)} aria-label="farm" />
          </label>
          <label>
            Free vCPU ≥ <input size={3} value={cpu} onChange={(e) => setCpu(e.target.value)} aria-label="free cpu" />
          </label>
          <label>
            memory GiB ≥ <input
              size={4}
              value={memory}
              onChange={(e) => setMemory(e.target.value)}
              aria-label="free memory"
            />
          </label>
          <label>
            SSD GiB ≥ <input size={5} value={ssd} onChange={(e) => setSsd(e.target.value)} aria-label="free ssd" />
          </label>
          <label>
            HDD GiB ≥ <input size={5} value={hdd} onChange={(e) => setHdd(e.target.value)} aria-label="free hdd" />
          </label>
          <label>
            public IPs ≥ <input size={3} value={ips} onChange={(e) => setIps(e.target.value)} aria-label="free ips" />
          </label>
          <label>
            <input
              type="checkbox"
              checked={certified}
              onChange={(e) => setCertified(e.target.checked)}
            /> certified only
          </label>
          <button type="submit">Search</button>
        </form>
        <p className="note" data-testid="free-rule">
          Free is what the node's live contracts have not declared: its capacity minus the capacity each contract
          reserves on chain, not what they report using. A deployment fits a node when its capacity is within what is
          free.
        </p>
      </section>
      {error && <p className="error" role="alert">{error}</p>}
      {nodes && (
        <section>
          <h2 data-testid="node-count">{nodes.totalCount} node{nodes.totalCount === 1 ? '' : 's'}</h2>
          <table data-testid="nodes">
            <thead>
              <tr>
                <th>Node</th>
                <th>Farm</th>
                <th>Where</th>
                <th>Certified</th>
                <th>vCPU free / total</th>
                <th>Memory free / total</th>
                <th>SSD free / total</th>
                <th>HDD free / total</th>
                <th>Free IPs</th>
                <th></th>
              </tr>
            </thead>
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
            <thead>
              <tr>
                <th>Farm</th>
                <th>Name</th>
                <th>Owner twin</th>
                <th>Pricing policy</th>
                <th>Public IPs (free)</th>
                <th>Dedicated</th>
              </tr>
            </thead>
            <tbody>
              {farms.map((f) => (
                <tr key={f.id}>
                  <td>{f.id}</td>
                  <td>{f.name}</td>
                  <td>{f.twinId}</td>
                  <td>{f.pricingPolicyId}</td>
                  <td>{f.publicIps.length} ({f.freeIps})</td>
                  <td>{f.dedicated ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
