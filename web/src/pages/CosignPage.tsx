import { useEffect, useState } from 'react';
import { type Deployment, DeploymentError, GIB, type Signers, type Workload, capacity, describeCapacity, hashHex, parseDeployment, sign, validate, verifySignatures } from '../deployment';
import { accountsOn, twinsOf } from '../flows';
import { signerOf } from '../identity';
import { documentFromLink, shareLink } from '../links';
import { sentence, useSession } from '../session';

/** One workload as a signer must read it: for a VM, the image, the command and the environment
 * it runs with, and who can log in — in full, nothing folded away. */
function WorkloadView({ w }: { w: Workload }) {
  if (w.type === 'disk') return <p className="workload" data-workload={w.name}><strong>Disk {w.name}</strong>: {w.data.size / GIB} GiB {w.data.kind.toUpperCase()}</p>;
  if (w.type === 'public_ip') return <p className="workload" data-workload={w.name}><strong>Public IPv4 {w.name}</strong></p>;
  const vm = w.data;
  const env = Object.entries(vm.env);
  return (
    <div className="workload" data-workload={w.name}>
      <h3>VM {w.name}{w.description && <span className="note"> · {w.description}</span>}</h3>
      <div className="form">
        <span>Image</span><span className="mono" data-testid="cosign-image">{vm.image}</span>
        <span>Command</span><span className="mono" data-testid="cosign-entrypoint">{vm.entrypoint || '(none given: the image\'s own)'}</span>
        <span>Environment</span>
        <span className="mono" data-testid="cosign-env">{env.length ? env.map(([k, v]) => <div key={k}>{k}={v}</div>) : '(none)'}</span>
        <span>SSH keys (who can log in)</span>
        <span className="mono" data-testid="cosign-ssh">{vm.ssh_keys.length ? vm.ssh_keys.map((k) => <div key={k}>{k}</div>) : '(none)'}</span>
        <span>Size</span><span>{vm.cpu} vCPU, {vm.memory / GIB} GiB memory, {vm.rootfs_size / GIB} GiB root filesystem</span>
        <span>Public IPv4</span><span>{vm.public_ip || 'none'}</span>
        <span>Disks</span><span>{vm.mounts.map((m) => `${m.disk} at ${m.mount_point}`).join(', ') || 'none'}</span>
      </div>
    </div>
  );
}

export function CosignPage() {
  const { chain, account, go } = useSession();
  const [text, setText] = useState(documentFromLink(window.location.hash) ?? '');
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
  const link = doc ? shareLink(doc, window.location.href) : '';
  const opener = (
    <section>
      <h2>{doc ? 'Open another document' : 'Co-sign a deployment'}</h2>
      <p className="note">Open a document someone passed you (a file, a link, or its JSON), see what it deploys, add your signature, and pass it on.</p>
      <textarea rows={doc ? 4 : 8} value={text} onChange={(e) => setText(e.target.value)} aria-label="document" placeholder="the deployment document (JSON)" />
      <p className="row">
        <button onClick={() => open(text)}>Open</button>
        <input type="file" accept="application/json,.json" aria-label="document file" onChange={async (e) => { const f = e.target.files?.[0]; if (f) { const t = await f.text(); setText(t); open(t); } }} />
      </p>
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
  if (!doc || !cap) return opener;
  return (
    <>
      <section data-testid="cosign-workloads">
        <h2>What it runs</h2>
        <p className="note">Read this before you sign: your signature approves exactly these images, commands, environments and keys.</p>
        {doc.description && <p>{doc.description}</p>}
        {doc.workloads.map((w) => <WorkloadView key={w.name} w={w} />)}
      </section>
      <section data-testid="cosign-document">
        <h2>Who asks, and who has signed</h2>
        <div className="form">
          <span>Owner</span><span>twin {doc.twin_id}{doc.contract_id ? `, contract ${doc.contract_id}` : ''}, version {doc.version}</span>
          <span>Capacity</span><span>{describeCapacity(cap)}</span>
          <span>Hash</span><span className="mono">{hashHex(doc)}</span>
          <span>Requirement</span><span>{doc.signature_requirement.requests.map((r) => `twin ${r.twin_id} (weight ${r.weight}${r.required ? ', required' : ''})`).join(', ')}; {doc.signature_requirement.weight_required} needed</span>
          <span>Signed by</span><span data-testid="signed-by">{doc.signature_requirement.signatures.map((s) => `twin ${s.twin_id}`).join(', ') || 'nobody yet'}</span>
          <span>Signatures</span><span data-testid="verdict">{verdict === null ? 'checking…' : 'ok' in verdict ? <span className="ok">satisfied: weight {verdict.ok.weight} of {doc.signature_requirement.weight_required}</span> : <span className="error">{verdict.error}</span>}</span>
        </div>
        <p className="row">
          <button onClick={addSignature} disabled={!requested} title={requested ? '' : 'the requirement does not name your twin'}>Add my signature</button>
          <button className="secondary" onClick={download}>Download</button>
          <button className="secondary" onClick={() => navigator.clipboard?.writeText(link)}>Copy link</button>
          {account?.twinId === doc.twin_id && <button onClick={() => go('deploy', { document: doc })}>Deploy it</button>}
        </p>
        <p className="note mono" data-testid="cosign-link">{link}</p>
        <h3>The whole document</h3>
        <pre data-testid="cosign-json">{JSON.stringify(doc, null, 2)}</pre>
      </section>
      {opener}
    </>
  );
}
