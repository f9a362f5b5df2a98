// An update as the node sees it (SPEC §9.1, §9.4): numbered from the document the node runs, not
// from the chain's counter; the document that puts back what the node runs when it refused an
// update the chain took; the check that a node's "running document" is really the tenant's; and
// what an update changes, field by field, for the user to read before signing.

import {
  type Accounts, type Deployment, DeploymentError, GIB, type SignatureRequest, type SignatureRequirement, type Workload,
  canonical, deploymentHash, validate, verifyRaw, verifySignatures,
} from './deployment';

const content = (w: Workload) => canonical({ ...w, version: 0 });

/** `edited` as the update of `running`: version running + 1, that version on each added or changed
 * workload, the running version on each unchanged one, the running contract, no signature yet. */
export function nextVersion(running: Deployment, edited: Deployment): Deployment {
  const version = running.version + 1;
  const before = new Map(running.workloads.map((w) => [w.name, w]));
  const numbered = (w: Workload): Workload => {
    const old = before.get(w.name);
    return { ...w, version: old && content(old) === content(w) ? old.version : version } as Workload;
  };
  return {
    ...edited,
    version,
    twin_id: running.twin_id,
    contract_id: running.contract_id,
    signature_requirement: { ...edited.signature_requirement, signatures: [] },
    workloads: edited.workloads.map(numbered),
  };
}

/** The document that puts back what the node runs: the running one, version + 1, every workload
 * unchanged (so each keeps its version), to be signed again. Its hash differs from the running
 * one's, so the chain takes it as a new version of the contract. */
export const recoveryDocument = (running: Deployment): Deployment => nextVersion(running, running);

/** Disks that would shrink: the node refuses them (a disk keeps its data, it can only grow). */
export function shrunkDisks(running: Deployment, next: Deployment): string[] {
  const sizes = new Map(running.workloads.flatMap((w) => (w.type === 'disk' ? [[w.name, w.data.size] as const] : [])));
  return next.workloads.flatMap((w) => {
    const before = w.type === 'disk' ? sizes.get(w.name) : undefined;
    if (w.type !== 'disk' || before === undefined || w.data.size >= before) return [];
    return [`Data disk ${w.name}: a disk can only grow; `
      + `it holds ${before / GIB} GiB, this asks for ${w.data.size / GIB} GiB.`];
  });
}

/** Whether `twinId` alone satisfies the document's requirement (§9.4): every required twin is
 * it, and its weight reaches the threshold. */
export function ownerAloneSatisfies(doc: Deployment, twinId: number): boolean {
  const req = doc.signature_requirement;
  const mine = req.requests.find((r) => r.twin_id === twinId);
  return !!mine && mine.weight >= req.weight_required && req.requests.every((r) => !r.required || r.twin_id === twinId);
}

// ---- the node's word, checked -----------------------------------------------------------------------

/** A node is a stranger: what it says it runs is taken only if it is a valid document of this
 * contract and this owner whose signatures verify against the accounts on chain and satisfy its
 * requirement (signers of a previous requirement may sign too, and must verify). Throws the
 * first broken rule. */
export function checkRunning(
  doc: Deployment,
  expected: { contractId: number; twinId: number },
  accounts: Accounts,
): Deployment {
  if (doc.contract_id !== expected.contractId) {
    throw new DeploymentError(
      'RunningOfAnotherContract',
      `the node's document names contract ${doc.contract_id}, not contract ${expected.contractId}`,
    );
  }
  if (doc.twin_id !== expected.twinId) {
    throw new DeploymentError(
      'RunningOfAnotherTwin',
      `the node's document belongs to twin ${doc.twin_id}, the contract to twin ${expected.twinId}`,
    );
  }
  validate(doc);
  const req = doc.signature_requirement;
  const named = new Set(req.requests.map((r) => r.twin_id));
  const namedSignatures = req.signatures.filter((s) => named.has(s.twin_id));
  verifySignatures({ ...doc, signature_requirement: { ...req, signatures: namedSignatures } }, accounts);
  const hash = deploymentHash(doc);
  for (const s of req.signatures.filter((x) => !named.has(x.twin_id))) {
    const account = accounts(s.twin_id);
    if (!account || !verifyRaw(s.key_type, s.signature, account, hash)) {
      throw new DeploymentError(
        'BadSignature',
        `twin ${s.twin_id}'s signature on the node's document does not verify`,
        { twin_id: s.twin_id },
      );
    }
  }
  return doc;
}

// ---- what changes ------------------------------------------------------------------------------------

export interface Change { what: string; before: string; after: string }

const gibOf = (bytes: number) => `${bytes / GIB} GiB`;
const none = (s: string) => (s === '' ? '(none)' : s);

/** A workload as labelled fields in the user's words. */
function fieldsOf(w: Workload): Record<string, string> {
  if (w.type === 'disk') return { size: gibOf(w.data.size), kind: w.data.kind.toUpperCase() };
  if (w.type === 'public_ip') return {};
  const d = w.data;
  return {
    image: d.image, vCPUs: String(d.cpu), memory: gibOf(d.memory), 'root filesystem': gibOf(d.rootfs_size),
    entrypoint: none(d.entrypoint), environment: none(Object.entries(d.env).map(([k, v]) => `${k}=${v}`).join(', ')),
    'SSH keys': d.ssh_keys.length
      ? `${d.ssh_keys.length} key${d.ssh_keys.length > 1 ? 's' : ''}: ${d.ssh_keys.map((k) => k.slice(-24)).join(', ')}`
      : '(none)',
    'public IP': none(d.public_ip), mounts: none(d.mounts.map((m) => `${m.disk} at ${m.mount_point}`).join(', ')),
    description: none(w.description),
  };
}

const KIND: Record<Workload['type'], string> = { vm: 'VM', disk: 'data disk', public_ip: 'public IPv4' };
const describeRequest = (q: SignatureRequest) =>
  `twin ${q.twin_id} (weight ${q.weight}${q.required ? ', required' : ''})`;
const describeRequirement = (r: SignatureRequirement) =>
  `${r.requests.map(describeRequest).join(', ')}; ${r.weight_required} needed`;

function workloadChanges(old: Workload | undefined, next: Workload | undefined): Change[] {
  const w = (next ?? old)!;
  const label = `${KIND[w.type]} ${w.name}`;
  if (!old) return [{ what: label, before: '(none)', after: 'added' }];
  if (!next) return [{ what: label, before: 'present', after: 'removed' }];
  const [a, b] = [fieldsOf(old), fieldsOf(next)];
  return Object.keys({ ...a, ...b })
    .filter((k) => a[k] !== b[k])
    .map((k) => ({ what: `${label}: ${k}`, before: a[k] ?? '(none)', after: b[k] ?? '(none)' }));
}

/** What `next` changes of `old`, field by field (the version numbers aside). */
export function diff(old: Deployment, next: Deployment): Change[] {
  const names = [...new Set([...old.workloads, ...next.workloads].map((w) => w.name))];
  const byName = (d: Deployment, n: string) => d.workloads.find((w) => w.name === n);
  const changes = names.flatMap((n) => workloadChanges(byName(old, n), byName(next, n)));
  if (old.description !== next.description) {
    changes.push({ what: 'description', before: none(old.description), after: none(next.description) });
  }
  const [ra, rb] = [describeRequirement(old.signature_requirement), describeRequirement(next.signature_requirement)];
  if (ra !== rb) changes.push({ what: 'signers', before: ra, after: rb });
  return changes;
}
