import { useState } from 'react';
import { hashHex, sign } from '../deployment';
import { newForm } from '../deploymentForm';
import { deploy, refusalSentence } from '../flows';
import { shareLink } from '../links';
import { useSession } from '../session';
import { DeploymentForm, type Ready } from './DeploymentForm';
import { Steps, useSteps } from './Steps';

/** Co-signed documents deployed in this visit: the page goes back to its own form after one. */
const deployedDocuments = new Set<string>();

export function DeployPage() {
  const { chain, account, nodeId: chosen, document: passed, go } = useSession();
  const offered = passed && !deployedDocuments.has(hashHex(passed)) ? passed : null;
  const [tab, setTab] = useState<'vm' | 'cosigned'>(offered ? 'cosigned' : 'vm');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [steps, step, resetSteps, failSteps] = useSteps();
  const cosigned = tab === 'cosigned' ? offered : null;

  const submit = async ({ doc, nodeId, needsOthers }: Ready) => {
    if (!account) return;
    setError(null); setDone(null); setLink(null); resetSteps(); setBusy(true);
    try {
      if (needsOthers) {
        setLink(shareLink(await sign(doc, account.twinId ?? 0, account.signer), window.location.href));
        return;
      }
      const { contractId } = await deploy(chain, account, nodeId, doc, step);
      setDone(`Contract ${contractId} is deployed on node ${nodeId}.`);
      if (cosigned) {
        deployedDocuments.add(hashHex(cosigned));
        setTab('vm');
      }
    } catch (e) {
      failSteps(e);
      setError(refusalSentence(e));
    } finally {
      setBusy(false);
    }
  };

  if (!account) return <section><p>Sign in on the Account page first.</p></section>;
  return (
    <>
      <section>
        <h2>{cosigned ? 'Deploy a co-signed document' : 'Deploy a VM'}</h2>
        {offered && (
          <p className="row" role="tablist">
            <button
              className={tab === 'vm' ? '' : 'secondary'}
              role="tab"
              aria-selected={tab === 'vm'}
              onClick={() => setTab('vm')}
            >
              Deploy a VM
            </button>
            <button
              className={tab === 'cosigned' ? '' : 'secondary'}
              role="tab"
              aria-selected={tab === 'cosigned'}
              onClick={() => setTab('cosigned')}
            >
              Deploy a co-signed document
            </button>
          </p>
        )}
        {!account.twinId && <p className="error">You have no twin yet: create it on the Account page.</p>}
      </section>
      <DeploymentForm
        key={tab}
        initial={newForm(chosen)}
        fixed={cosigned ?? undefined}
        busy={busy}
        signLabel={(others) => (others ? 'Sign and pass on to co-signers' : 'Sign and deploy')}
        signTestId="deploy"
        onSign={submit}
      >
        <Steps steps={steps} />
        {error && <p className="error" role="alert" data-testid="deploy-error">{error}</p>}
        {done && (
          <p className="ok" data-testid="deployed">
            {done} <button className="secondary" onClick={() => go('contracts')}>See it in My contracts</button>
          </p>
        )}
        {link && (
          <p className="ok">
            Signed by you. Send this link to the
            co-signers: <a href={link} className="mono" data-testid="share-link">{link}</a>
          </p>
        )}
      </DeploymentForm>
    </>
  );
}
