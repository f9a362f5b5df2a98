import { useEffect, useState } from 'react';
import { type Endpoints, compareGenesis } from '../links';
import { genesisHashAt, indexerStatusAt } from '../grid/probe';
import { sentence } from '../session';

type Probe = { state: 'reading' } | { state: 'read'; text: string } | { state: 'failed'; text: string };

/** What `ask` answers about the endpoint at `url`; null when there is no endpoint to ask. */
function useProbe(ask: (url: string) => Promise<string>, url: string | undefined): Probe | null {
  const [answer, setAnswer] = useState<{ url: string; probe: Probe } | null>(null);
  useEffect(() => {
    if (!url) return;
    let stale = false;
    ask(url).then(
      (text) => { if (!stale) setAnswer({ url, probe: { state: 'read', text } }); },
      (e) => { if (!stale) setAnswer({ url, probe: { state: 'failed', text: sentence(e) } }); },
    );
    return () => { stale = true; };
  }, [ask, url]);
  if (!url) return null;
  return answer?.url === url ? answer.probe : { state: 'reading' };
}

/** How far the indexer at `url` says it has indexed. */
async function indexerStatus(url: string): Promise<string> {
  const s = await indexerStatusAt(url);
  return `answers: indexed to block ${s.indexedHeight}, the chain it follows is finalized at ${s.finalizedHeight}`;
}

const shown = (p: Probe | null) => (
  p === null ? ''
  : p.state === 'reading' ? 'reading…'
  : p.state === 'read' ? p.text
  : `could not be read: ${p.text}`
);
const readText = (p: Probe | null) => (p?.state === 'read' ? p.text : null);

/** What the comparison of the two genesis hashes means, in the user's words. */
const SAME_CHAIN = 'The same chain (the same genesis hash), through a node you have not used: '
  + 'it answers everything the page reads.';
const DIFFERENT_CHAIN = "A different chain: its twins, balances, contracts and signatures are not your chain's.";
const NOT_COMPARED = 'The genesis hashes cannot be compared: one of them could not be read.';

/** A link offered other endpoints: say which, what the offered chain's genesis hash is against the
 * known one's, and apply them only if the user accepts. Until then the page uses `known`. */
export function EndpointOffer({ offer, known, onAccept, onDecline }: {
  offer: Partial<Endpoints>;
  known: Endpoints;
  onAccept(): void;
  onDecline(): void;
}) {
  const offeredGenesis = useProbe(genesisHashAt, offer.rpc);
  const knownGenesis = useProbe(genesisHashAt, offer.rpc && known.rpc);
  const offeredIndexer = useProbe(indexerStatus, offer.indexer);
  const comparison = compareGenesis(readText(knownGenesis), readText(offeredGenesis));
  const checking = [offeredGenesis, knownGenesis, offeredIndexer].some((p) => p?.state === 'reading');

  return (
    <section className="offer" role="alertdialog" aria-labelledby="offer-title" data-testid="endpoint-offer">
      <h2 id="offer-title">The link you opened offers other endpoints</h2>
      <p>
        The page has not used them: it still reads your saved endpoints. Whoever runs a chain node can show you false
        balances, twins and "signatures satisfied", and choose which node agent your deployment (in plain text, with its
        environment) is sent to; an indexer chooses which nodes you find. Accept only endpoints you know.
      </p>
      <div className="form">
        {offer.rpc && <>
          <span>Offered chain</span><span className="mono" data-testid="offer-rpc">{offer.rpc}</span>
          <span>its genesis hash</span><span className="mono" data-testid="offer-genesis">{shown(offeredGenesis)}</span>
          <span>Your chain</span><span className="mono">{known.rpc}</span>
          <span>its genesis hash</span><span className="mono" data-testid="known-genesis">{shown(knownGenesis)}</span>
          <span>So</span>
          <span
            data-testid="genesis-comparison"
            data-comparison={checking ? 'checking' : comparison}
            className={checking ? '' : comparison === 'same chain' ? 'ok' : 'error'}
          >
            {checking ? 'checking…'
              : comparison === 'same chain' ? SAME_CHAIN
              : comparison === 'different chain' ? DIFFERENT_CHAIN
              : NOT_COMPARED}
          </span>
        </>}
        {offer.indexer && <>
          <span>Offered indexer</span><span className="mono" data-testid="offer-indexer">{offer.indexer}</span>
          <span>its status</span><span data-testid="offer-indexer-status">{shown(offeredIndexer)}</span>
          <span>Your indexer</span><span className="mono">{known.indexer}</span>
          <span />
          <span className="note">
            An indexer does not say which chain it follows, so the page cannot compare it with yours.
          </span>
        </>}
      </div>
      <p className="row">
        {/* The safe choice is the prominent one. */}
        <button onClick={onDecline} data-testid="offer-decline">Keep my saved endpoints</button>
        <button className="secondary" onClick={onAccept} disabled={checking} data-testid="offer-accept">
          Use the offered endpoints
        </button>
      </p>
    </section>
  );
}
