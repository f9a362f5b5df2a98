import { useEffect, useMemo, useState } from 'react';
import { type Deployment, DeploymentError, GIB, capacity, describeCapacity, hashHex, newVmDeployment, sign, validate } from '../deployment';
import { deploy } from '../flows';
import { AgentRefusal } from '../grid/agent';
import { type HourlyPrice, formatTft, hourlyPrice } from '../pricing';
import { sentence, useSession } from '../session';
import { Steps, useSteps } from './Steps';
import { shareLink } from '../links';

/** A form field that is not what it must be. */
class FieldError extends Error {}

function number(label: string, text: string, { min = 0, integer = false } = {}): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new FieldError(`${label}: give a number`);
  if (integer && !Number.isInteger(v)) throw new FieldError(`${label}: give a whole number`);
  if (v < min) throw new FieldError(`${label}: must be at least ${min}`);
  return v;
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

export function DeployPage() {
  const { chain, account, nodeId: chosen, document: passed, go } = useSession();
  const [nodeId, setNodeId] = useState(chosen ? String(chosen) : '');
  const [name, setName] = useState('web');
  const [image, setImage] = useState('docker.io/library/nginx:1.27');
  const [cpu, setCpu] = useState('1');
  const [memory, setMemory] = useState('1');
  const [rootfs, setRootfs] = useState('2');
  const [entrypoint, setEntrypoint] = useState('');
  const [env, setEnv] = useState('');
  const [sshKeys, setSshKeys] = useState('');
  const [diskSize, setDiskSize] = useState('10');
  const [diskKind, setDiskKind] = useState<'ssd' | 'hdd'>('ssd');
  const [mountPoint, setMountPoint] = useState('/data');
  const [publicIp, setPublicIp] = useState(true);
  const [description, setDescription] = useState('');
  const [cosigners, setCosigners] = useState('');
  const [weightRequired, setWeightRequired] = useState('1');
  const [price, setPrice] = useState<HourlyPrice | null>(null);
  const [priceError, setPriceError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [steps, step, resetSteps] = useSteps();

  const built = useMemo((): { doc: Deployment } | { error: string } => {
    if (passed) return { doc: passed };
    try {
      const twinId = account?.twinId ?? 0;
      const disks = Number(diskSize) > 0 ? [{ name: `${name}_data`, sizeBytes: Math.round(number('disk size', diskSize) * GIB), kind: diskKind, mountPoint }] : [];
      const envMap: Record<string, string> = {};
      for (const l of lines(env)) {
        const eq = l.indexOf('=');
        if (eq <= 0) throw new FieldError(`environment: "${l}" is not KEY=VALUE`);
        envMap[l.slice(0, eq)] = l.slice(eq + 1);
      }
      const doc = newVmDeployment(twinId, {
        name, image, description, entrypoint, env: envMap, sshKeys: lines(sshKeys), disks, publicIp,
        cpu: number('vCPU', cpu, { min: 1, integer: true }),
        memoryBytes: Math.round(number('memory', memory) * GIB),
        rootfsBytes: Math.round(number('root filesystem', rootfs) * GIB),
      });
      const extra = lines(cosigners).map((l) => {
        const [twin, weight = '1', required = 'no'] = l.split(/[\s,]+/);
        return { twin_id: number('co-signer twin', twin, { min: 1, integer: true }), weight: number('co-signer weight', weight, { min: 0, integer: true }), required: /^(y|yes|true|required)$/i.test(required) };
      });
      if (extra.length) {
        doc.signature_requirement.requests.push(...extra);
        doc.signature_requirement.weight_required = number('weight required', weightRequired, { min: 1, integer: true });
      }
      validate(doc);
      return { doc };
    } catch (e) {
      return { error: sentence(e) };
    }
  }, [passed, account, name, image, cpu, memory, rootfs, entrypoint, env, sshKeys, diskSize, diskKind, mountPoint, publicIp, description, cosigners, weightRequired]);

  const doc = 'doc' in built ? built.doc : null;
  const cap = doc ? capacity(doc) : null;

  useEffect(() => {
    setPrice(null);
    setPriceError(null);
    const id = Number(nodeId);
    if (!doc || !cap || !Number.isInteger(id) || id <= 0 || !account) return;
    let stale = false;
    (async () => {
      const node = await chain.farmPolicyAndNode(id);
      const [prices, tft, balance] = await Promise.all([chain.unitPrices(node.policyId), chain.tftPrice(), chain.balance(account.address)]);
      const p = hourlyPrice({
        prices, certified: node.certified, publicIps: cap.public_ips, ...tft, freeBalance: balance.free,
        resources: { cru: BigInt(cap.cru), mru: BigInt(cap.mru), sru: BigInt(cap.sru), hru: BigInt(cap.hru) },
      });
      if (!stale) setPrice(p);
    })().catch((e) => { if (!stale) setPriceError(sentence(e)); });
    return () => { stale = true; };
  }, [doc, nodeId, account, chain]); // eslint-disable-line react-hooks/exhaustive-deps

  const needsOthers = doc ? doc.signature_requirement.requests.some((r) => r.twin_id !== account?.twinId) : false;

  const submit = async () => {
    if (!doc || !account) return;
    setError(null); setDone(null); setLink(null); resetSteps(); setBusy(true);
    try {
      if (needsOthers && !passed) {
        const signed = await sign(doc, account.twinId ?? 0, account.signer);
        setLink(shareLink(signed, window.location.href));
      } else {
        const id = number('node', nodeId, { min: 1, integer: true });
        const { contractId } = await deploy(chain, account, id, doc, step);
        setDone(`Contract ${contractId} is deployed on node ${id}.`);
      }
    } catch (e) {
      setError(e instanceof DeploymentError ? `${e.rule}: ${e.message}` : e instanceof AgentRefusal ? `The node refused (${e.code}): ${e.message}` : sentence(e));
    } finally {
      setBusy(false);
    }
  };

  if (!account) return <section><p>Sign in on the Account page first.</p></section>;
  return (
    <>
      <section>
        <h2>{passed ? 'Deploy a co-signed document' : 'Deploy a VM'}</h2>
        {!account.twinId && <p className="error">You have no twin yet: create it on the Account page.</p>}
        <div className="form">
          <label htmlFor="node">Node</label>
          <span className="row"><input id="node" value={nodeId} onChange={(e) => setNodeId(e.target.value)} size={6} /> <button className="secondary" onClick={() => go('grid')}>Find one</button></span>
          {!passed && <>
            <label htmlFor="vm-name">Name</label><input id="vm-name" value={name} onChange={(e) => setName(e.target.value)} />
            <label htmlFor="image">Image</label><input id="image" value={image} onChange={(e) => setImage(e.target.value)} />
            <label htmlFor="cpu">vCPU</label><input id="cpu" value={cpu} onChange={(e) => setCpu(e.target.value)} />
            <label htmlFor="memory">Memory (GiB)</label><input id="memory" value={memory} onChange={(e) => setMemory(e.target.value)} />
            <label htmlFor="rootfs">Root filesystem (GiB)</label><input id="rootfs" value={rootfs} onChange={(e) => setRootfs(e.target.value)} />
            <label htmlFor="entrypoint">Entrypoint</label><input id="entrypoint" value={entrypoint} onChange={(e) => setEntrypoint(e.target.value)} />
            <label htmlFor="env">Environment (KEY=VALUE lines)</label><textarea id="env" rows={2} value={env} onChange={(e) => setEnv(e.target.value)} />
            <label htmlFor="ssh">SSH keys (one per line)</label><textarea id="ssh" rows={2} value={sshKeys} onChange={(e) => setSshKeys(e.target.value)} />
            <label htmlFor="disk">Data disk (GiB, 0 for none)</label>
            <span className="row"><input id="disk" value={diskSize} onChange={(e) => setDiskSize(e.target.value)} size={6} />
              <select value={diskKind} onChange={(e) => setDiskKind(e.target.value as 'ssd' | 'hdd')} aria-label="disk kind"><option value="ssd">SSD</option><option value="hdd">HDD</option></select>
              mounted at <input value={mountPoint} onChange={(e) => setMountPoint(e.target.value)} aria-label="mount point" /></span>
            <label htmlFor="public-ip">Public IPv4</label><input id="public-ip" type="checkbox" checked={publicIp} onChange={(e) => setPublicIp(e.target.checked)} style={{ justifySelf: 'start' }} />
            <label htmlFor="description">Description</label><input id="description" value={description} onChange={(e) => setDescription(e.target.value)} />
            <label htmlFor="cosigners">Co-signers (twin weight required, one per line)</label><textarea id="cosigners" rows={2} placeholder="7 1 yes" value={cosigners} onChange={(e) => setCosigners(e.target.value)} />
            {cosigners.trim() && <><label htmlFor="weight-required">Weight required</label><input id="weight-required" value={weightRequired} onChange={(e) => setWeightRequired(e.target.value)} /></>}
          </>}
        </div>
      </section>
      <section data-testid="summary">
        <h2>Before you sign</h2>
        {'error' in built && <p className="error" data-testid="form-error">{built.error}</p>}
        {cap && doc && (
          <div className="form">
            <span>Capacity</span><span data-testid="capacity">{describeCapacity(cap)}</span>
            <span>Price per hour</span>
            <span data-testid="price">{price ? <><span className="price">{formatTft(price.hourlyUnits)}</span> at {price.priceMusd / 1000} USD/TFT, {price.discount === 'None' ? 'no discount' : `${price.discount} discount`} ({formatTft(price.hourlyUnitsUndiscounted)} undiscounted); traffic is extra</> : priceError ?? (nodeId ? 'computing…' : 'choose a node')}</span>
            <span>Deployment hash</span><span className="mono" data-testid="hash">{hashHex(doc)}</span>
            <span>Signers</span><span>{doc.signature_requirement.requests.map((r) => `twin ${r.twin_id} (weight ${r.weight}${r.required ? ', required' : ''})`).join(', ')}; {doc.signature_requirement.weight_required} needed; signed by {doc.signature_requirement.signatures.map((s) => s.twin_id).join(', ') || 'nobody yet'}</span>
          </div>
        )}
        <details><summary>The document</summary><pre data-testid="document">{doc ? JSON.stringify(doc, null, 2) : ''}</pre></details>
        <p className="row">
          <button onClick={submit} disabled={!doc || busy || !account.twinId} data-testid="deploy">{needsOthers && !passed ? 'Sign and pass on to co-signers' : 'Sign and deploy'}</button>
        </p>
        <Steps steps={steps} />
        {error && <p className="error" role="alert" data-testid="deploy-error">{error}</p>}
        {done && <p className="ok" data-testid="deployed">{done} <button className="secondary" onClick={() => go('contracts')}>See it in My contracts</button></p>}
        {link && <p className="ok">Signed by you. Send this link to the co-signers: <a href={link} className="mono" data-testid="share-link">{link}</a></p>}
      </section>
    </>
  );
}
