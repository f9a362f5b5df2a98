// The one form that writes a deployment, for a deploy and for an update: its fields in the user's
// units (GiB, not bytes), each wrong field named; the target node checked on chain (it exists, it
// has the capacity free, its farm a free IP); the price, the monthly cost and the deposit; on an
// update, what changes, field by field. There is no sign button while the page knows the document
// or its target is wrong.

import { type ReactNode, useEffect, useMemo, useReducer, useState } from 'react';
import { type Capacity, type Deployment, capacity, describeCapacity, hashHex } from '../deployment';
import {
  type FieldErrors, type FormAction, type FormFields, buildDocument, formReducer, nodeOf,
} from '../deploymentForm';
import type { Chain } from '../grid/chain';
import { ageRecipientOf, encryptDeployment } from '../identity';
import { type HourlyPrice, formatTft } from '../pricing';
import { type Account, sentence, useSession } from '../session';
import { type Holding, type Target, depositFor, readTarget, targetProblems } from '../target';
import { diff, nextVersion, ownerAloneSatisfies, shrunkDisks } from '../updates';

/** What the sign button hands over: the document (numbered, on an update), its node, and whether
 * co-signers must sign before it can go on chain. */
export interface Ready { doc: Deployment; nodeId: number; needsOthers: boolean }

interface Props {
  initial: FormFields;
  /** An update: the document the node runs and what the contract holds; the node is fixed. */
  update?: { running: Deployment; holding: Holding };
  /** A document signed elsewhere (co-signed): shown and deployed as it is, not edited. */
  fixed?: Deployment;
  busy: boolean;
  signLabel(needsOthers: boolean): string;
  signTestId: string;
  onSign(ready: Ready): void;
  children?: ReactNode;
}

export function DeploymentForm({ initial, update, fixed, busy, signLabel, signTestId, onSign, children }: Props) {
  const { account } = useSession();
  const [fields, dispatch] = useReducer(formReducer, initial);
  const twinId = account?.twinId ?? 0;
  const built = useMemo(() => {
    if (fixed) return { doc: fixed, errors: {} as FieldErrors };
    const b = buildDocument(fields, { twinId, running: update?.running });
    return b.doc && update ? { doc: nextVersion(update.running, b.doc), errors: b.errors } : b;
  }, [fields, twinId, update, fixed]);
  const node = nodeOf(fields.nodeId);
  const nodeId = 'nodeId' in node ? node.nodeId : null;
  const target = useTarget(built.doc, nodeId);
  const changes = update && built.doc ? diff(update.running, built.doc) : [];
  const problems = [
    ...Object.values(built.errors),
    ...('error' in node ? [node.error] : []),
    ...(target && 'error' in target ? [target.error] : []),
    ...(target && 'ok' in target && built.doc
      ? targetProblems(target.ok, capacity(built.doc), update?.holding ?? null)
      : []),
    ...(update && built.doc ? shrunkDisks(update.running, built.doc) : []),
    ...(update && built.doc && changes.length === 0 ? ['Nothing changes yet: edit a field to update.'] : []),
  ];
  const doc = built.doc;
  const needsOthers = !fixed
    && doc !== null
    && !(ownerAloneSatisfies(doc, twinId) && (!update || ownerAloneSatisfies(update.running, twinId)));
  const ready = doc && nodeId !== null && target && 'ok' in target && problems.length === 0
    ? { doc, nodeId, needsOthers }
    : null;
  return (
    <>
      {!fixed && <Fields fields={fields} dispatch={dispatch} errors={built.errors} update={update !== undefined} />}
      {fixed && <NodeField fields={fields} dispatch={dispatch} />}
      <section data-testid="summary">
        <h2>Before you sign</h2>
        {problems.length > 0 && (
          <ul className="error" data-testid="form-error">{problems.map((p) => <li key={p}>{p}</li>)}</ul>
        )}
        {update && doc && <Changes running={update.running} changes={changes} next={doc} />}
        {doc && <Summary doc={doc} target={target} />}
        <details>
          <summary>The document</summary>
          <pre data-testid="document">{doc ? JSON.stringify(doc, null, 2) : ''}</pre>
        </details>
        <p className="row">
          <button
            onClick={() => ready && onSign(ready)}
            disabled={!ready || busy || !account?.twinId}
            data-testid={signTestId}
          >
            {signLabel(needsOthers)}
          </button>
          {!ready && doc && problems.length === 0 && (
            <span className="note" data-testid="checking">checking the node…</span>
          )}
        </p>
        {children}
      </section>
    </>
  );
}

type Loaded<T> = { ok: T } | { error: string } | null;

/** The target node read from the chain for the document's capacity; null while it is read. */
function useTarget(doc: Deployment | null, nodeId: number | null): Loaded<Target> {
  const { chain, account } = useSession();
  // Kept with what it was read for, so a node read for another capacity or node never shows as this one.
  const [read, setRead] = useState<{
    key: string; nodeId: number; account: Account; chain: Chain; target: Loaded<Target>;
  } | null>(null);
  const key = doc ? JSON.stringify(capacity(doc)) : null;
  useEffect(() => {
    if (key === null || nodeId === null || !account) return;
    const cap = JSON.parse(key) as Capacity;
    let stale = false;
    const show = (target: Loaded<Target>) => { if (!stale) setRead({ key, nodeId, account, chain, target }); };
    readTarget(chain, nodeId, cap, account.address).then((t) => show({ ok: t }), (e) => show({ error: sentence(e) }));
    return () => { stale = true; };
  }, [key, nodeId, account, chain]);
  return read?.key === key && read.nodeId === nodeId && read.account === account && read.chain === chain
    ? read.target
    : null;
}

/** The encrypted size of `doc` once signed (one signature per request), for its deposit. */
function useDataBytes(doc: Deployment): number | null {
  const { chain } = useSession();
  const [bytes, setBytes] = useState<number | null>(null);
  const text = JSON.stringify(doc);
  useEffect(() => {
    const doc = JSON.parse(text) as Deployment;
    let stale = false;
    const placeholder = '0x' + '0'.repeat(128);
    const signatures = doc.signature_requirement.requests.map((r) => ({
      twin_id: r.twin_id,
      key_type: 'sr25519' as const,
      signature: placeholder,
    }));
    const signed = { ...doc, signature_requirement: { ...doc.signature_requirement, signatures } };
    chain.twin(doc.twin_id).then(async (t) => {
      if (!t?.pk) return;
      const data = await encryptDeployment(signed, [ageRecipientOf(t.pk)]);
      if (!stale) setBytes(data.length);
    }).catch(() => { if (!stale) setBytes(null); });
    return () => { stale = true; };
  }, [text, chain]);
  return bytes;
}

function Summary({ doc, target }: { doc: Deployment; target: Loaded<Target> }) {
  const bytes = useDataBytes(doc);
  const t = target && 'ok' in target ? target.ok : null;
  const req = doc.signature_requirement;
  const price = t?.price;
  return (
    <div className="form">
      <span>Capacity</span><span data-testid="capacity">{describeCapacity(capacity(doc))}</span>
      <span>Price per hour</span>
      <span data-testid="price">
        {price ? <PriceText price={price} /> : target && 'error' in target ? 'unknown: see above' : 'computing…'}
      </span>
      <span>Per month</span>
      <span data-testid="monthly">
        {price ? `about ${formatTft(price.hourlyUnits * 720n)} (720 hours), traffic aside` : '…'}
      </span>
      <span>Deposit</span>
      <span data-testid="deposit">
        {t && bytes !== null
          ? `${formatTft(depositFor(t, bytes))} held while the contract lives (${bytes} bytes of encrypted document), `
            + 'returned when it ends'
          : '…'}
      </span>
      <span>Deployment hash</span><span className="mono" data-testid="hash">{hashHex(doc)}</span>
      <span>Signers</span><span>{describeSigners(req)}</span>
    </div>
  );
}

function PriceText({ price }: { price: HourlyPrice }) {
  const discount = price.discount === 'None' ? 'no discount' : `${price.discount} discount`;
  return (
    <>
      <span className="price">{formatTft(price.hourlyUnits)}</span> at {price.priceMusd / 1000} USD/TFT, {discount}
      {' '}({formatTft(price.hourlyUnitsUndiscounted)} undiscounted); traffic is extra
    </>
  );
}

const describeSigners = (req: Deployment['signature_requirement']) => {
  const requests = req.requests
    .map((r) => `twin ${r.twin_id} (weight ${r.weight}${r.required ? ', required' : ''})`)
    .join(', ');
  const signers = req.signatures.map((s) => s.twin_id).join(', ') || 'nobody yet';
  return `${requests}; ${req.weight_required} needed; signed by ${signers}`;
};

function Changes({ running, next, changes }: {
  running: Deployment;
  next: Deployment;
  changes: ReturnType<typeof diff>;
}) {
  return (
    <>
      <p>Version {running.version} (what the node runs) → version {next.version}:</p>
      <table data-testid="changes">
        <thead><tr><th>What</th><th>Now</th><th>After the update</th></tr></thead>
        <tbody>
          {changes.map((c) => <tr key={c.what}><td>{c.what}</td><td>{c.before}</td><td>{c.after}</td></tr>)}
        </tbody>
      </table>
    </>
  );
}

type Dispatch = (a: FormAction) => void;
type TextField = Exclude<keyof FormFields, 'disks' | 'publicIp'>;

function NodeField({ fields, dispatch }: { fields: FormFields; dispatch: Dispatch }) {
  const { go } = useSession();
  return (
    <div className="form">
      <label htmlFor="node">Node</label>
      <span className="row">
        <input
          id="node"
          value={fields.nodeId}
          onChange={(e) => dispatch({ type: 'set', field: 'nodeId', value: e.target.value })}
          size={6}
        />
        {' '}
        <button className="secondary" onClick={() => go('grid')}>Find one</button>
      </span>
    </div>
  );
}

const FieldError = ({ id, errors }: { id: string; errors: FieldErrors }) => (
  errors[id] ? <span className="error" data-testid={`error-${id}`}>{errors[id]}</span> : null
);

function Fields({ fields, dispatch, errors, update }: {
  fields: FormFields;
  dispatch: Dispatch;
  errors: FieldErrors;
  update: boolean;
}) {
  const input = (id: string, field: TextField, label: string, rows = 0) => {
    const change = (value: string) => dispatch({ type: 'set', field, value });
    return (
      <>
        <label htmlFor={id}>{label}</label>
        <span>
          {rows
            ? <textarea id={id} rows={rows} value={fields[field]} onChange={(e) => change(e.target.value)} />
            : <input id={id} value={fields[field]} onChange={(e) => change(e.target.value)} />}
          <FieldError id={id === 'vm-name' ? 'name' : id} errors={errors} />
        </span>
      </>
    );
  };
  return (
    <section>
      {!update && <NodeField fields={fields} dispatch={dispatch} />}
      <div className="form">
        {!update && input('vm-name', 'name', 'Name')}
        {input('image', 'image', 'Image')}
        {input('cpu', 'cpu', 'vCPUs')}
        {input('memory', 'memory', 'Memory (GiB)')}
        {input('rootfs', 'rootfs', 'Root filesystem (GiB)')}
        {input('entrypoint', 'entrypoint', 'Entrypoint')}
        {input('env', 'env', 'Environment (KEY=VALUE lines)', 2)}
        {input('ssh', 'sshKeys', 'SSH keys (one per line)', 2)}
        <Disks fields={fields} dispatch={dispatch} errors={errors} />
        <label htmlFor="public-ip">Public IPv4</label>
        <input
          id="public-ip"
          type="checkbox"
          checked={fields.publicIp}
          onChange={(e) => dispatch({ type: 'publicIp', value: e.target.checked })}
          style={{ justifySelf: 'start' }}
        />
        {input('description', 'description', 'Description')}
        {input('cosigners', 'cosigners', 'Co-signers (twin weight required, one per line)', 2)}
        {fields.cosigners.trim() && input('weight-required', 'weightRequired', 'Weight required')}
      </div>
    </section>
  );
}

function Disks({ fields, dispatch, errors }: { fields: FormFields; dispatch: Dispatch; errors: FieldErrors }) {
  return (
    <>
      <span>Data disks (GiB)</span>
      <span>
        {fields.disks.map((d, i) => (
          <span key={i} className="row" data-testid={`disk-${i}`}>
            <input
              id={i === 0 ? 'disk' : `disk-${i}`}
              aria-label={`data disk ${i + 1} size`}
              value={d.size}
              size={6}
              onChange={(e) => dispatch({ type: 'disk', index: i, patch: { size: e.target.value } })}
            />
            <select
              value={d.kind}
              onChange={(e) => dispatch({ type: 'disk', index: i, patch: { kind: e.target.value as 'ssd' | 'hdd' } })}
              aria-label={`data disk ${i + 1} kind`}
            >
              <option value="ssd">SSD</option>
              <option value="hdd">HDD</option>
            </select>
            mounted at <input
              value={d.mountPoint}
              onChange={(e) => dispatch({ type: 'disk', index: i, patch: { mountPoint: e.target.value } })}
              aria-label={`data disk ${i + 1} mount point`}
            />
            <button className="secondary" onClick={() => dispatch({ type: 'removeDisk', index: i })}>Remove</button>
            <FieldError id={`disk-${i}`} errors={errors} />
          </span>
        ))}
        <button className="secondary" onClick={() => dispatch({ type: 'addDisk' })}>Add a disk</button>
        {fields.disks.length === 0 && <span className="note"> no data disk</span>}
      </span>
    </>
  );
}
