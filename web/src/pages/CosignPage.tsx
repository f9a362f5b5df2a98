import { useEffect, useState } from 'react';
import { base64url } from '@scure/base';
import { stringToU8a, u8aToString } from '@polkadot/util';
import { type Deployment, DeploymentError, type Signers, canonical, capacity, describeCapacity, hashHex, parseDeployment, sign, validate, verifySignatures } from '../deployment';
import { accountsOn, twinsOf } from '../flows';
import { signerOf } from '../identity';
import { sentence, useSession } from '../session';

/** A link that opens a document on this page: `…#doc=<base64url of its canonical JSON>`. */
export function shareLink(doc: Deployment): string {
  const url = new URL(window.location.href);
  url.hash = `doc=${base64url.encode(stringToU8a(canonical(doc)))}`;
  return url.toString();
}

function fromLink(): string | null {
  const doc = new URLSearchParams(window.location.hash.slice(1)).get('doc');
  if (!doc) return null;
  try { return u8aToString(base64url.decode(doc)); } catch { return null; }
}

export function CosignPage() {
  const { chain, account, go } = useSession();
  const [text, setText] = useState(fromLink() ?? '');
  const [doc, setDoc] = useState<Deployment | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [verdict, setVerdict] = useState<{ ok: Signers } | { error: string } | null>(null);

  const open = (t: string) => {
    setError(null); setVerdict(null);
    try {
      const d = parseDeployment(t);
      validate(d);
      setDoc(d);
    } catch (e) {
      setDoc(null);
      setError(e instanceof DeploymentError ? `${e.rule}: ${e.message}` : sentence(e));
    }
  };

  useEffect(() => { if (text) open(text); }, []); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!doc) return;
    accountsOn(chain, twinsOf(doc)).then((accounts) => {
      try { setVerdict({ ok: verifySignatures(doc, accounts) }); } catch (e) { setVerdict({ error: e instanceof DeploymentError ? `${e.rule}: ${e.message}` : sentence(e) }); }
    }, (e) => setVerdict({ error: sentence(e) }));
  }, [doc, chain]);

  const addSignature = () => {
    if (!doc || !account?.twinId) return;
    const signed = sign(doc, account.twinId, signerOf(account.pair));
    setDoc(signed);
    setText(JSON.stringify(signed, null, 2));
  };

  const download = () => {
    if (!doc) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
    a.download = `deployment-${hashHex(doc).slice(2, 10)}.json`;
    a.click();
  };

  const requested = doc && account?.twinId ? doc.signature_requirement.requests.some((r) => r.twin_id === account.twinId) : false;
  const cap = doc ? capacity(doc) : null;
  return (
    <>
      <section>
        <h2>Co-sign a deployment</h2>
        <p className="note">Open a document someone passed you (a file, a link, or its JSON), see what it deploys, add your signature, and pass it on.</p>
        <textarea rows={8} value={text} onChange={(e) => setText(e.target.value)} aria-label="document" placeholder="the deployment document (JSON)" />
        <p className="row">
          <button onClick={() => open(text)}>Open</button>
          <input type="file" accept="application/json,.json" aria-label="document file" onChange={async (e) => { const f = e.target.files?.[0]; if (f) { const t = await f.text(); setText(t); open(t); } }} />
        </p>
        {error && <p className="error" role="alert">{error}</p>}
      </section>
      {doc && cap && (
        <section data-testid="cosign-document">
          <h2>What it deploys</h2>
          <div className="form">
            <span>Owner</span><span>twin {doc.twin_id}{doc.contract_id ? `, contract ${doc.contract_id}` : ''}, version {doc.version}</span>
            <span>Workloads</span><span>{doc.workloads.map((w) => `${w.name} (${w.type})`).join(', ')}</span>
            <span>Capacity</span><span>{describeCapacity(cap)}</span>
            <span>Hash</span><span className="mono">{hashHex(doc)}</span>
            <span>Requirement</span><span>{doc.signature_requirement.requests.map((r) => `twin ${r.twin_id} (weight ${r.weight}${r.required ? ', required' : ''})`).join(', ')}; {doc.signature_requirement.weight_required} needed</span>
            <span>Signed by</span><span data-testid="signed-by">{doc.signature_requirement.signatures.map((s) => `twin ${s.twin_id}`).join(', ') || 'nobody yet'}</span>
            <span>Signatures</span><span data-testid="verdict">{verdict === null ? 'checking…' : 'ok' in verdict ? <span className="ok">satisfied: weight {verdict.ok.weight} of {doc.signature_requirement.weight_required}</span> : <span className="error">{verdict.error}</span>}</span>
          </div>
          <details><summary>The document</summary><pre>{JSON.stringify(doc, null, 2)}</pre></details>
          <p className="row">
            <button onClick={addSignature} disabled={!requested} title={requested ? '' : 'the requirement does not name your twin'}>Add my signature</button>
            <button className="secondary" onClick={download}>Download</button>
            <button className="secondary" onClick={() => navigator.clipboard?.writeText(shareLink(doc))}>Copy link</button>
            {account?.twinId === doc.twin_id && <button onClick={() => go('deploy', { document: doc })}>Deploy it</button>}
          </p>
          <p className="note mono" data-testid="cosign-link">{shareLink(doc)}</p>
        </section>
      )}
    </>
  );
}
