// Updating a contract from the page: the document the node runs (checked, see `updates.ts`) in
// the deploy form, numbered from it; co-signers asked through a link when a requirement needs
// them; and, when the chain holds a version the node refused, the way back: a new version whose
// document is the one the node runs.

import { useCallback, useEffect, useState } from 'react';
import type { Deployment } from '../deployment';
import { formOf } from '../deploymentForm';
import { Stranded, putBack, refusalSentence, runningDeployment, update, withMySignature } from '../flows';
import type { Chain, ContractView } from '../grid/chain';
import { shareLink } from '../links';
import { type Account, useSession } from '../session';
import { ownerAloneSatisfies, recoveryDocument } from '../updates';
import { DeploymentForm, type Ready } from './DeploymentForm';
import { Steps, useSteps } from './Steps';

type Running = { doc: Deployment; matchesChain: boolean } | { error: string } | null;

/** What the node runs for `contractId`, read again when `refresh` is called. */
function useRunning(contractId: number, wanted: boolean): [Running, () => void] {
  const { chain, account } = useSession();
  const [round, setRound] = useState(0);
  // Kept with what it was read for, so an earlier read (another round) never shows as this one.
  const [read, setRead] = useState<{
    contractId: number; account: Account; chain: Chain; round: number; running: Running;
  } | null>(null);
  useEffect(() => {
    if (!wanted || !account) return;
    let stale = false;
    const show = (running: Running) => { if (!stale) setRead({ contractId, account, chain, round, running }); };
    runningDeployment(chain, account, contractId).then(
      ({ doc, matchesChain }) => show({ doc, matchesChain }),
      (e) => show({ error: refusalSentence(e) }),
    );
    return () => { stale = true; };
  }, [contractId, wanted, account, chain, round]);
  const current = read?.contractId === contractId
    && read.account === account
    && read.chain === chain
    && read.round === round;
  return [current ? read.running : null, useCallback(() => setRound((r) => r + 1), [])];
}

interface Props {
  contract: ContractView;
  editing: boolean;
  onClose(): void;
  /** After a change on chain: the page reloads its figures. */
  onChanged(message: string): void;
}

/** The update form of a live node contract, and its recovery when the node runs another version. */
export function UpdatePanel({ contract, editing, onClose, onChanged }: Props) {
  const { chain, account } = useSession();
  const checkNode = editing || contract.state === 'created';
  const [running, refresh] = useRunning(contract.id, checkNode);
  const [stranded, setStranded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [steps, step, resetSteps, failSteps] = useSteps();
  if (!account || !contract.nodeId) return null;
  const loaded = running && 'doc' in running ? running : null;
  const doc = loaded?.doc ?? null;
  const out = doc && !loaded?.matchesChain && contract.state === 'created' && !busy && !stranded
    ? `Contract ${contract.id} holds a version of its deployment that node ${contract.nodeId} does not run; `
      + `the node still runs version ${doc.version}. `
      + '(If you updated it a moment ago, the node may still be at work.)'
    : null;

  const sign = async ({ doc: next, needsOthers }: Ready) => {
    if (!doc) return;
    setError(null); setLink(null); setStranded(null); resetSteps(); setBusy(true);
    try {
      if (needsOthers) {
        setLink(shareLink(await withMySignature(next, account, [next, doc]), window.location.href));
        return;
      }
      await update(chain, account, contract.id, doc, next, step);
      onChanged(`Contract ${contract.id} is updated: `
        + `node ${contract.nodeId} runs version ${next.version} of its deployment.`);
      onClose();
    } catch (e) {
      failSteps(e);
      if (e instanceof Stranded) setStranded(e.message); else setError(refusalSentence(e));
    } finally {
      setBusy(false);
      refresh();
    }
  };

  const fields = doc ? formOf(doc, contract.nodeId) : null;
  return (
    <div data-testid="update-panel">
      {(stranded ?? out) && (
        <Recovery
          contractId={contract.id}
          problem={(stranded ?? out)!}
          onRecovered={(m) => { setStranded(null); refresh(); onChanged(m); }}
        />
      )}
      {editing && <h3>Update contract {contract.id}</h3>}
      {editing && running && 'error' in running && (
        <p className="error" data-testid="running-error">
          What node {contract.nodeId} runs could not be read: {running.error}
        </p>
      )}
      {editing && !running && <p className="note">Reading what node {contract.nodeId} runs…</p>}
      {editing && fields && 'error' in fields && <p className="error">{fields.error}</p>}
      {editing && doc && fields && 'fields' in fields && (
        <DeploymentForm
          key={`${doc.version}-${loaded?.matchesChain}`}
          initial={fields.fields}
          update={{
            running: doc,
            holding: {
              declared: contract.capacity ?? { cru: 0, mru: 0, sru: 0, hru: 0 },
              publicIps: contract.publicIps.length,
              contractId: contract.id,
            },
          }}
          busy={busy}
          signLabel={(others) => (others ? 'Sign and pass on to co-signers' : 'Sign and update')}
          signTestId="sign-update"
          onSign={sign}
        >
          <p className="row"><button className="secondary" onClick={onClose}>Discard</button></p>
          <Steps steps={steps} />
          {error && <p className="error" role="alert" data-testid="update-error">{error}</p>}
          {link && (
            <p className="ok">
              Signed by you. Send this link to the co-signers; once they signed, open it and
              update: <a href={link} className="mono" data-testid="update-share-link">{link}</a>
            </p>
          )}
        </DeploymentForm>
      )}
    </div>
  );
}

/** The chain holds a version the node refused: say so, and offer to put back what it runs. */
export function Recovery({ contractId, problem, onRecovered }: {
  contractId: number;
  problem: string;
  onRecovered(message: string): void;
}) {
  const { chain, account } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [steps, step, resetSteps, failSteps] = useSteps();
  if (!account) return null;
  const recover = async () => {
    setBusy(true); setError(null); setLink(null); resetSteps();
    try {
      const { doc: running } = await runningDeployment(chain, account, contractId);
      if (!ownerAloneSatisfies(running, account.twinId ?? 0)) {
        const doc = recoveryDocument(running);
        setLink(shareLink(await withMySignature(doc, account, [doc, running]), window.location.href));
        return;
      }
      await putBack(chain, account, contractId, step);
      onRecovered(`Contract ${contractId} holds again what its node runs `
        + `(version ${running.version + 1}), and is deployed.`);
    } catch (e) {
      failSteps(e);
      setError(refusalSentence(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="warning" data-testid="stranded">
      <p data-testid="stranded-problem">{problem}</p>
      <p>
        Until the chain holds what the node runs, the node does not confirm the contract. Put back what it runs as the
        next version (you sign it again, the chain takes its hash, the node confirms it), or update it again from what
        it runs.
      </p>
      <p className="row">
        <button onClick={recover} disabled={busy} data-testid="put-back">Put back what the node runs</button>
      </p>
      <Steps steps={steps} />
      {error && <p className="error" role="alert" data-testid="put-back-error">{error}</p>}
      {link && (
        <p className="ok">
          Its requirement names co-signers: the version that puts it back is signed by you. Send this link to them;
          once they signed, open it and update: <a href={link} className="mono" data-testid="put-back-link">{link}</a>
        </p>
      )}
    </div>
  );
}
