import { useEffect, useState } from 'react';
import {
  type Deployment, DeploymentError, GIB, type Signers, type SignatureRequest, type SignatureRequirement,
  type Workload, capacity, describeCapacity, hashHex, parseDeployment, sign, validate, verifySignatures, verifyUpdate,
} from '../deployment';
import { Stranded, accountsOn, runningDeployment, twinsOf, update } from '../flows';
import { AgentRefusal } from '../grid/agent';
import type { Chain } from '../grid/chain';
import { documentFromLink, shareLink } from '../links';
import { type Account, sentence, useSession } from '../session';
import { Steps, useSteps } from './Steps';
import { Recovery } from './UpdatePanel';
import { diff } from '../updates';

/** A refusal with the rule it names: the document's (§9) or the node's. */
const ruleSentence = (e: unknown) => (
  e instanceof DeploymentError ? `${e.rule}: ${e.message}`
  : e instanceof AgentRefusal ? `${e.code}: ${e.message}`
  : sentence(e)
);
const describeRequest = (q: SignatureRequest) =>
  `twin ${q.twin_id} (weight ${q.weight}${q.required ? ', required' : ''})`;
const describeRequirement = (r: SignatureRequirement) =>
  `${r.requests.map(describeRequest).join(', ')}; ${r.weight_required} needed`;

/** One workload as a signer must read it: for a VM, the image, the command and the environment
 * it runs with, and who can log in — in full, nothing folded away. */
function WorkloadView({ w }: { w: Workload }) {
  if (w.type === 'disk') {
    return (
      <p className="workload" data-workload={w.name}>
        <strong>Disk {w.name}</strong>: {w.data.size / GIB} GiB {w.data.kind.toUpperCase()}
      </p>
    );
  }
  if (w.type === 'public_ip') {
    return (
      <p className="workload" data-workload={w.name}>
        <strong>Public IPv4 {w.name}</strong>
      </p>
    );
  }
  const vm = w.data;
  const env = Object.entries(vm.env);
  return (
    <div className="workload" data-workload={w.name}>
      <h3>VM {w.name}{w.description && <span className="note"> · {w.description}</span>}</h3>
      <div className="form">
        <span>Image</span><span className="mono" data-testid="cosign-image">{vm.image}</span>
        <span>Command</span>
        <span className="mono" data-testid="cosign-entrypoint">
          {vm.entrypoint || '(none given: the image\'s own)'}
        </span>
        <span>Environment</span>
        <span className="mono" data-testid="cosign-env">
          {env.length ? env.map(([k, v]) => <div key={k}>{k}={v}</div>) : '(none)'}
        </span>
        <span>SSH keys (who can log in)</span>
        <span className="mono" data-testid="cosign-ssh">
          {vm.ssh_keys.length ? vm.ssh_keys.map((k) => <div key={k}>{k}</div>) : '(none)'}
        </span>
        <span>Size</span>
        <span>{vm.cpu} vCPU, {vm.memory / GIB} GiB memory, {vm.rootfs_size / GIB} GiB root filesystem</span>
        <span>Public IPv4</span><span>{vm.public_ip || 'none'}</span>
        <span>Disks</span><span>{vm.mounts.map((m) => `${m.disk} at ${m.mount_point}`).join(', ') || 'none'}</span>
      </div>
    </div>
  );
}

/** The document in `text`, parsed and checked (§9), or the rule it breaks. */
function opened(text: string): { doc: Deployment | null; error: string | null } {
  try {
    const d = parseDeployment(text);
    validate(d);
    return { doc: d, error: null };
  } catch (e) {
    return { doc: null, error: ruleSentence(e) };
  }
}

type Current = { doc: Deployment } | { error: string } | null;
type Verdict = { ok: Signers } | { error: string } | null;

const SIGN_IN_TO_COMPARE = {
  error: "Sign in as a twin the contract's requirement names: "
    + 'the page then reads the version it runs and checks this update against it',
};

/** The version contract `contractId` runs, which an update (a document naming its contract) is
 * judged against; null while it is read, and for no contract. */
function useCurrentVersion(contractId: number): Current {
  const { chain, account } = useSession();
  // Kept with what it was read for, so a read for another contract or account never shows as this one.
  const [read, setRead] = useState<{
    contractId: number; account: Account; chain: Chain; current: Current;
  } | null>(null);
  useEffect(() => {
    if (!contractId || !account?.twinId) return;
    let stale = false;
    const show = (current: Current) => { if (!stale) setRead({ contractId, account, chain, current }); };
    runningDeployment(chain, account, contractId).then(
      ({ doc }) => show({ doc }),
      (e) => show({ error: ruleSentence(e) }),
    );
    return () => { stale = true; };
  }, [contractId, account, chain]);
  if (!contractId) return null;
  if (!account?.twinId) return SIGN_IN_TO_COMPARE;
  return read?.contractId === contractId && read.account === account && read.chain === chain ? read.current : null;
}

/** Whether `doc`'s signatures satisfy its requirement, and on an update the current version's too;
 * null while they are checked. An update waits for its current version, or says why it is unknown. */
function useVerdict(doc: Deployment | null, current: Current): Verdict {
  const { chain } = useSession();
  const old = current && 'doc' in current ? current.doc : null;
  // Kept with what it was checked for, so an earlier document's verdict never shows as this one's.
  const [checked, setChecked] = useState<{
    doc: Deployment; old: Deployment | null; chain: Chain; verdict: Verdict;
  } | null>(null);
  useEffect(() => {
    if (!doc || (doc.contract_id && !old)) return;
    let stale = false;
    const show = (verdict: Verdict) => { if (!stale) setChecked({ doc, old, chain, verdict }); };
    accountsOn(chain, [...twinsOf(doc), ...(old ? twinsOf(old) : [])]).then((accounts) => {
      try {
        if (old && doc.version !== old.version + 1) {
          throw new DeploymentError(
            'VersionNotNext',
            `version is ${doc.version}: an update of version ${old.version} must be version ${old.version + 1}`,
          );
        }
        show({ ok: old ? verifyUpdate(old, doc, accounts) : verifySignatures(doc, accounts) });
      } catch (e) { show({ error: ruleSentence(e) }); }
    }, (e) => show({ error: sentence(e) }));
    return () => { stale = true; };
  }, [doc, old, chain]);
  if (!doc) return null;
  if (doc.contract_id && !old) return current && 'error' in current ? current : null;
  return checked?.doc === doc && checked.old === old && checked.chain === chain ? checked.verdict : null;
}

export function CosignPage() {
  const { chain, account, go } = useSession();
  const [text, setText] = useState(documentFromLink(window.location.hash) ?? '');
  // A link's document is open from the first render.
  const [first] = useState(() => (text ? opened(text) : { doc: null, error: null }));
  const [doc, setDoc] = useState(first.doc);
  const [error, setError] = useState(first.error);
  const current = useCurrentVersion(doc?.contract_id ?? 0);
  const verdict = useVerdict(doc, current);
  const [updated, setUpdated] = useState<string | null>(null);
  const [stranded, setStranded] = useState<string | null>(null);
  const [steps, step, resetSteps, failSteps] = useSteps();
  const contractId = doc?.contract_id ?? 0;

  const open = (t: string) => {
    const o = opened(t);
    setDoc(o.doc);
    setError(o.error);
  };

  const addSignature = async () => {
    if (!doc || !account?.twinId) return;
    setError(null);
    try {
      const signed = await sign(doc, account.twinId, account.signer);
      setDoc(signed);
      setText(JSON.stringify(signed, null, 2));
    } catch (e) {
      setError(ruleSentence(e));
    }
  };

  const updateContract = async () => {
    if (!doc || !account || !current || !('doc' in current)) return;
    setError(null); setUpdated(null); setStranded(null); resetSteps();
    try {
      await update(chain, account, contractId, current.doc, doc, step);
      setUpdated(`Contract ${contractId} is updated: its node runs version ${doc.version} of the deployment.`);
    } catch (e) {
      failSteps(e);
      if (e instanceof Stranded) setStranded(e.message); else setError(ruleSentence(e));
    }
  };

  const download = () => {
    if (!doc) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
    a.download = `deployment-${hashHex(doc).slice(2, 10)}.json`;
    a.click();
  };

  const old = current && 'doc' in current ? current.doc : null;
  const names = (d: Deployment | null) =>
    d !== null && d.signature_requirement.requests.some((r) => r.twin_id === account?.twinId);
  const requested = account?.twinId ? names(doc) || names(old) : false;
  const cap = doc ? capacity(doc) : null;
  const link = doc ? shareLink(doc, window.location.href) : '';
  const opener = (
    <section>
      <h2>{doc ? 'Open another document' : 'Co-sign a deployment'}</h2>
      <p className="note">
        Open a document someone passed you (a file, a link, or its JSON), see what it deploys, add your signature,
        and pass it on.
      </p>
      <textarea
        rows={doc ? 4 : 8}
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-label="document"
        placeholder="the deployment document (JSON)"
      />
      <p className="row">
        <button onClick={() => open(text)}>Open</button>
        <input
          type="file"
          accept="application/json,.json"
          aria-label="document file"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (f) {
              const t = await f.text();
              setText(t);
              open(t);
            }
          }}
        />
      </p>
      {error && <p className="error" role="alert" data-testid="cosign-error">{error}</p>}
    </section>
  );
  if (!doc || !cap) return opener;
  return (
    <>
      <section data-testid="cosign-workloads">
        <h2>What it runs</h2>
        <p className="note">
          Read this before you sign: your signature approves exactly these images, commands, environments and keys.
        </p>
        {doc.description && <p>{doc.description}</p>}
        {doc.workloads.map((w) => <WorkloadView key={w.name} w={w} />)}
      </section>
      <section data-testid="cosign-document">
        <h2>Who asks, and who has signed</h2>
        <div className="form">
          <span>Owner</span>
          <span>twin {doc.twin_id}{doc.contract_id ? `, contract ${doc.contract_id}` : ''}, version {doc.version}</span>
          <span>Capacity</span><span>{describeCapacity(cap)}</span>
          <span>Hash</span><span className="mono">{hashHex(doc)}</span>
          <span>Requirement</span>
          <span data-testid="requirement">{describeRequirement(doc.signature_requirement)}</span>
          {old && (
            <>
              <span>Changes</span>
              <span data-testid="cosign-changes">
                {diff(old, doc).map((c) => <div key={c.what}>{c.what}: {c.before} → {c.after}</div>)}
              </span>
            </>
          )}
          {contractId > 0 && (
            <>
              <span>Replaces</span>
              <span data-testid="replaces">
                {old
                  ? `version ${old.version}, whose requirement is ${describeRequirement(old.signature_requirement)}: `
                    + 'an update needs enough signatures for both'
                  : current && 'error' in current ? current.error
                  : 'reading the version the contract runs…'}
              </span>
            </>
          )}
          <span>Signed by</span>
          <span data-testid="signed-by">
            {doc.signature_requirement.signatures.map((s) => `twin ${s.twin_id}`).join(', ') || 'nobody yet'}
          </span>
          <span>Signatures</span>
          <span data-testid="verdict">
            {verdict === null ? 'checking…'
              : 'ok' in verdict ? (
                <span className="ok">
                  satisfied: weight {verdict.ok.weight} of {doc.signature_requirement.weight_required}
                </span>
              )
              : <span className="error">{verdict.error}</span>}
          </span>
        </div>
        <p className="row">
          <button
            onClick={addSignature}
            disabled={!requested}
            title={requested ? '' : 'the requirement does not name your twin'}
          >
            Add my signature
          </button>
          <button className="secondary" onClick={download}>Download</button>
          <button className="secondary" onClick={() => navigator.clipboard?.writeText(link)}>Copy link</button>
          {account?.twinId === doc.twin_id && !contractId && (
            <button onClick={() => go('deploy', { document: doc })}>Deploy it</button>
          )}
          {account?.twinId === doc.twin_id && contractId > 0 && (
            <button onClick={updateContract} disabled={!old}>Update contract {contractId}</button>
          )}
        </p>
        <Steps steps={steps} />
        {updated && <p className="ok" data-testid="cosign-updated">{updated}</p>}
        {stranded && (
          <Recovery
            contractId={contractId}
            problem={stranded}
            onRecovered={(m) => { setStranded(null); setUpdated(m); }}
          />
        )}
        <p className="note mono" data-testid="cosign-link">{link}</p>
        <h3>The whole document</h3>
        <pre data-testid="cosign-json">{JSON.stringify(doc, null, 2)}</pre>
      </section>
      {opener}
    </>
  );
}
