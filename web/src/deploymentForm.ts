// The deploy and update form as data: its fields (text, as the user types them), the reducer that
// changes them, the fields of a running document (to update it), and the document the fields
// describe, or each field that is wrong in a sentence that names it in the user's words.

import { type Deployment, GIB, type SignatureRequest, type Workload, validate } from './deployment';

export interface DiskField { name: string; size: string; kind: 'ssd' | 'hdd'; mountPoint: string }

export interface FormFields {
  nodeId: string;
  name: string;
  image: string;
  cpu: string;
  /** GiB. */
  memory: string;
  /** GiB. */
  rootfs: string;
  entrypoint: string;
  /** KEY=VALUE lines. */
  env: string;
  /** One key a line. */
  sshKeys: string;
  disks: DiskField[];
  publicIp: boolean;
  /** The name of the public IP workload (kept from the running document on an update). */
  ipName: string;
  description: string;
  /** `twin weight required` lines: the twins other than the owner. */
  cosigners: string;
  weightRequired: string;
}

/** Field ids (`disk-0`, `disk-1`… for the disks) → what is wrong with them. */
export type FieldErrors = Record<string, string>;

export const newForm = (nodeId: number | null): FormFields => ({
  nodeId: nodeId ? String(nodeId) : '', name: 'web', image: 'docker.io/library/nginx:1.27', cpu: '1', memory: '1',
  rootfs: '2', entrypoint: '', env: '', sshKeys: '', publicIp: true, ipName: '', description: '',
  disks: [{ name: '', size: '10', kind: 'ssd', mountPoint: '/data' }], cosigners: '', weightRequired: '1',
});

export type FormAction =
  | { type: 'set'; field: Exclude<keyof FormFields, 'disks' | 'publicIp'>; value: string }
  | { type: 'publicIp'; value: boolean }
  | { type: 'disk'; index: number; patch: Partial<DiskField> }
  | { type: 'addDisk' }
  | { type: 'removeDisk'; index: number }
  | { type: 'reset'; fields: FormFields };

export function formReducer(state: FormFields, action: FormAction): FormFields {
  switch (action.type) {
    case 'set': return { ...state, [action.field]: action.value };
    case 'publicIp': return { ...state, publicIp: action.value };
    case 'disk':
      return { ...state, disks: state.disks.map((d, i) => (i === action.index ? { ...d, ...action.patch } : d)) };
    case 'addDisk': return { ...state, disks: [...state.disks, { name: '', size: '10', kind: 'ssd', mountPoint: '' }] };
    case 'removeDisk': return { ...state, disks: state.disks.filter((_, i) => i !== action.index) };
    case 'reset': return action.fields;
  }
}

// ---- the image: an OCI reference (the grammar of distribution/reference) -------------------------

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);
const EXAMPLE = 'docker.io/library/nginx:1.27';

/** Why `image` is not an OCI image reference, in a sentence; null when it is one. */
export function imageProblem(image: string): string | null {
  if (image.trim() === '') return `Image: give an image reference, such as ${EXAMPLE}.`;
  if (/\s/.test(image)) return `Image: "${image}" has a space in it; an image reference is written like ${EXAMPLE}.`;
  if (image.length > 255 || !REFERENCE.test(image)) {
    return `Image: "${image}" is not an image reference; `
      + `write it like ${EXAMPLE} (registry/name:tag, the name in lower case).`;
  }
  return null;
}

// ---- numbers ----------------------------------------------------------------------------------------

class FieldError extends Error {}

function number(label: string, text: string, { min = 0, integer = false, unit = '' } = {}): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) {
    const wanted = integer ? 'a whole number' : `a number${unit ? ` of${unit}` : ''}`;
    throw new FieldError(`${label}: "${text}" is not a number; give ${wanted}.`);
  }
  if (integer && !Number.isInteger(v)) throw new FieldError(`${label}: give a whole number.`);
  if (v < min) throw new FieldError(`${label}: must be at least ${min}${unit}.`);
  return v;
}

const gib = (label: string, text: string, min: number) => Math.round(number(label, text, { min, unit: ' GiB' }) * GIB);
const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '');

/** The node the form names, or why it names none. */
export function nodeOf(text: string): { nodeId: number } | { error: string } {
  if (text.trim() === '') return { error: 'Node: choose a node (Find one lists them).' };
  if (!/^\s*[0-9]+\s*$/.test(text) || Number(text) < 1) return { error: `Node: "${text}" is not a node number; give a number such as 1.` };
  return { nodeId: Number(text) };
}

// ---- fields → document ------------------------------------------------------------------------------

/** The owner's twin and, on an update, the running document: its names, its owner's request and
 * its metadata are kept. */
export interface FormBase { twinId: number; running?: Deployment }

type Attempt<T> = { ok: T } | { error: string };
function attempt<T>(f: () => T): Attempt<T> {
  try {
    return { ok: f() };
  } catch (e) {
    if (e instanceof FieldError) return { error: e.message };
    throw e;
  }
}

function envOf(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const l of lines(text)) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new FieldError(`Environment: "${l}" is not KEY=VALUE.`);
    env[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return env;
}

function requestsOf(text: string): SignatureRequest[] {
  return lines(text).map((l) => {
    const [twin, weight = '1', required = 'no'] = l.split(/[\s,]+/);
    return {
      twin_id: number('Co-signer twin', twin, { min: 1, integer: true }),
      weight: number('Co-signer weight', weight, { min: 0, integer: true }),
      required: /^(y|yes|true|required)$/i.test(required),
    };
  });
}

function mountPointProblem(point: string): string | null {
  const ok = point.startsWith('/') && point !== '/' && !point.split('/').includes('..') && !/[,:\0]/.test(point);
  return ok ? null : 'must be an absolute path other than /, without .., , or :';
}

function diskOf(d: DiskField, i: number, vmName: string): Workload & { type: 'disk' } {
  const name = d.name || (i === 0 ? `${vmName}_data` : `${vmName}_data${i + 1}`);
  const size = gib(`Data disk ${name}, size`, d.size, 1);
  const mount = mountPointProblem(d.mountPoint);
  if (mount) throw new FieldError(`Data disk ${name}, mount point "${d.mountPoint}": ${mount}.`);
  return { version: 0, name, type: 'disk', description: '', data: { size, kind: d.kind } };
}

function ownerRequest(base: FormBase): SignatureRequest {
  const kept = base.running?.signature_requirement.requests.find((r) => r.twin_id === base.twinId);
  return kept ?? { twin_id: base.twinId, weight: 1, required: true };
}

function requirementOf(f: FormFields, base: FormBase) {
  const others = requestsOf(f.cosigners);
  const owner = ownerRequest(base);
  const requests = [owner, ...others.filter((r) => r.twin_id !== owner.twin_id)];
  const weight = others.length ? number('Weight required', f.weightRequired, { min: 1, integer: true }) : owner.weight;
  return { requests, weight_required: weight, signatures: [] };
}

/** Each field's own check; the errors it finds, and the parts it built. */
function readFields(f: FormFields, base: FormBase) {
  const errors: FieldErrors = {};
  const field = <T>(id: string, f: () => T): T | undefined => {
    const r = attempt(f);
    if ('error' in r) errors[id] = r.error;
    return 'ok' in r ? r.ok : undefined;
  };
  const image = imageProblem(f.image);
  if (image) errors.image = image;
  const parts = {
    name: field('name', () => {
      if (!/^[a-z0-9_]{1,36}$/.test(f.name)) throw new FieldError(`Name: "${f.name}" must be 1 to 36 characters of a-z, 0-9 and _.`);
      return f.name;
    }),
    cpu: field('cpu', () => {
      const cpu = number('vCPUs', f.cpu, { min: 1, integer: true });
      if (cpu > 64) throw new FieldError('vCPUs: at most 64.');
      return cpu;
    }),
    memory: field('memory', () => gib('Memory', f.memory, 0.25)),
    rootfs: field('rootfs', () => gib('Root filesystem', f.rootfs, 1)),
    env: field('env', () => envOf(f.env)),
    disks: f.disks.map((d, i) => field(`disk-${i}`, () => diskOf(d, i, f.name))),
    requirement: field('cosigners', () => requirementOf(f, base)),
  };
  return { errors, parts };
}

/** The document the fields describe (version 0, no contract, no signature: an update numbers it
 * from the running one, see `updates.ts`), or each field that is wrong. */
export function buildDocument(
  f: FormFields,
  base: FormBase,
): { doc: Deployment; errors: FieldErrors } | { doc: null; errors: FieldErrors } {
  const { errors, parts } = readFields(f, base);
  const { name, cpu, memory, rootfs, env, requirement } = parts;
  const disks = parts.disks;
  if (Object.keys(errors).length || name === undefined || cpu === undefined || memory === undefined
    || rootfs === undefined || env === undefined || requirement === undefined || disks.some((d) => !d)) {
    return { doc: null, errors };
  }
  const ipName = f.ipName || `${name}_ip`;
  const runningVm = base.running?.workloads.find((w) => w.type === 'vm' && w.name === name);
  const vm: Workload = {
    version: 0, name, type: 'vm', description: runningVm ? runningVm.description : f.description, data: {
      image: f.image, cpu, memory, rootfs_size: rootfs, entrypoint: f.entrypoint, env, ssh_keys: lines(f.sshKeys),
      public_ip: f.publicIp ? ipName : '',
      mounts: f.disks.map((d, i) => ({ disk: disks[i]!.name, mount_point: d.mountPoint })),
    },
  };
  const workloads: Workload[] = [vm, ...disks.map((d) => d!)];
  if (f.publicIp) workloads.push({ version: 0, name: ipName, type: 'public_ip', description: '', data: {} });
  const doc: Deployment = {
    version: 0, twin_id: base.twinId, contract_id: 0, metadata: base.running?.metadata ?? '',
    description: f.description, signature_requirement: requirement, workloads,
  };
  return checked(doc);
}

/** The document's own rules (§9.1), as an error of the whole form. */
function checked(doc: Deployment): { doc: Deployment; errors: FieldErrors } | { doc: null; errors: FieldErrors } {
  try {
    validate(doc);
    return { doc, errors: {} };
  } catch (e) {
    return { doc: null, errors: { document: (e as Error).message } };
  }
}

// ---- a running document → fields -------------------------------------------------------------------

const gibText = (bytes: number) => String(bytes / GIB);

/** The fields of a running document, to update it; the form edits one VM, its disks and its
 * public IP, so a document of another shape is refused with a sentence. */
export function formOf(doc: Deployment, nodeId: number): { fields: FormFields } | { error: string } {
  const vms = doc.workloads.filter((w) => w.type === 'vm');
  if (vms.length !== 1) {
    return { error: `This deployment has ${vms.length} VMs; the form edits one VM with its disks and public IP.` };
  }
  const vm = vms[0];
  const disks = doc.workloads.filter((w) => w.type === 'disk');
  const mounted = new Map(vm.data.mounts.map((m) => [m.disk, m.mount_point]));
  if (disks.some((d) => !mounted.has(d.name))) {
    return { error: 'This deployment has a disk its VM does not mount; the form cannot edit it.' };
  }
  const owner = doc.twin_id;
  const others = doc.signature_requirement.requests.filter((r) => r.twin_id !== owner);
  return {
    fields: {
      nodeId: String(nodeId),
      name: vm.name,
      image: vm.data.image,
      cpu: String(vm.data.cpu),
      memory: gibText(vm.data.memory),
      rootfs: gibText(vm.data.rootfs_size),
      entrypoint: vm.data.entrypoint,
      env: Object.entries(vm.data.env).map(([k, v]) => `${k}=${v}`).join('\n'),
      sshKeys: vm.data.ssh_keys.join('\n'),
      disks: disks.map((d) => ({
        name: d.name,
        size: gibText(d.data.size),
        kind: d.data.kind,
        mountPoint: mounted.get(d.name) ?? '',
      })),
      publicIp: vm.data.public_ip !== '',
      ipName: vm.data.public_ip,
      description: doc.description,
      cosigners: others.map((r) => `${r.twin_id} ${r.weight} ${r.required ? 'yes' : 'no'}`).join('\n'),
      weightRequired: String(doc.signature_requirement.weight_required),
    },
  };
}
