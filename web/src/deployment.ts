// SPEC §9 in TypeScript: the deployment document, its capacity, challenge and hash, its
// signatures and their rules. The Rust crate `gridchain-deployment` is the reference; the golden
// vectors in `deployment/testdata/` prove that both compute the same bytes
// (`web/test/vectors.test.ts`).

import canonicalize from 'canonicalize';
import { U8A_WRAP_POSTFIX, U8A_WRAP_PREFIX, hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import {
  blake2AsU8a,
  ed25519PairFromSeed,
  ed25519Sign,
  ed25519Verify,
  sr25519Verify,
} from '@polkadot/util-crypto';

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
export const GIB = 2 ** 30;
export const MIB = 2 ** 20;
/** The largest `deployment_data` the chain takes, in bytes. */
export const MAX_DEPLOYMENT_DATA = 8192;
/** The most workloads a document may have (§9.1). */
export const MAX_WORKLOADS = 64;
/** The most twins a signature requirement may name (§9.4). */
export const MAX_REQUESTS = 32;
/** The most signatures a document may carry: an update's may come from the old and the new requirement. */
export const MAX_SIGNATURES = 2 * MAX_REQUESTS;

export type KeyType = 'sr25519' | 'ed25519';

export interface SignatureRequest { twin_id: number; weight: number; required: boolean }
export interface Signature { twin_id: number; key_type: KeyType; signature: string }
export interface SignatureRequirement {
  requests: SignatureRequest[];
  weight_required: number;
  signatures: Signature[];
}
export interface Mount { disk: string; mount_point: string }
export interface VmData {
  image: string; cpu: number; memory: number; rootfs_size: number; entrypoint: string;
  env: Record<string, string>; ssh_keys: string[]; public_ip: string; mounts: Mount[];
}
export interface DiskData { size: number; kind: 'ssd' | 'hdd' }
export type Workload =
  | { version: number; name: string; type: 'vm'; description: string; data: VmData }
  | { version: number; name: string; type: 'disk'; description: string; data: DiskData }
  | { version: number; name: string; type: 'public_ip'; description: string; data: Record<string, never> };
export interface Deployment {
  version: number;
  twin_id: number;
  contract_id: number;
  metadata: string;
  description: string;
  signature_requirement: SignatureRequirement;
  workloads: Workload[];
}

/** A broken rule of SPEC §9, by the name the Rust crate gives it, with a sentence. */
export class DeploymentError extends Error {
  constructor(
    readonly rule: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DeploymentError';
  }
}

/** A text that is not a document: which member, and why. */
export class ParseError extends DeploymentError {
  constructor(readonly path: string, why: string) {
    super('Parse', `${path || 'the document'}: ${why}`, { path });
  }
}

// ---- parsing: every member present, no unknown one, integers in range -------------------------

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function members(v: Json, path: string, names: string[]): Record<string, Json> {
  if (!isObject(v)) throw new ParseError(path, 'expected an object');
  for (const key of Object.keys(v)) {
    if (!names.includes(key)) throw new ParseError(join(path, key), 'unknown member');
  }
  for (const name of names) {
    if (!(name in v)) throw new ParseError(path, `missing member \`${name}\``);
  }
  return v;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function integer(v: Json, path: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ParseError(path, 'expected an integer');
  if (v < 0 || v > max) throw new ParseError(path, `${v} is out of range 0..=${max}`);
  return v;
}
const u32 = (v: Json, path: string) => integer(v, path, 0xffff_ffff);
const u64 = (v: Json, path: string) => integer(v, path, MAX_SAFE);

function text(v: Json, path: string): string {
  if (typeof v !== 'string') throw new ParseError(path, 'expected a string');
  return v;
}

function list<T>(v: Json, path: string, item: (v: Json, path: string) => T): T[] {
  if (!Array.isArray(v)) throw new ParseError(path, 'expected an array');
  return v.map((x, i) => item(x, `${path}[${i}]`));
}

function oneOf<T extends string>(v: Json, path: string, allowed: readonly T[]): T {
  const s = text(v, path);
  if (!allowed.includes(s as T)) throw new ParseError(path, `must be one of ${allowed.join(', ')}`);
  return s as T;
}

function signatureHex(v: Json, path: string): string {
  const s = text(v, path);
  if (!/^0x[0-9a-fA-F]{128}$/.test(s)) throw new ParseError(path, 'expected 0x and 64 bytes of hex');
  return s.toLowerCase();
}

function parseWorkload(v: Json, path: string): Workload {
  const w = members(v, path, ['version', 'name', 'type', 'description', 'data']);
  const base = {
    version: u32(w.version, join(path, 'version')),
    name: text(w.name, join(path, 'name')),
    description: text(w.description, join(path, 'description')),
  };
  const type = oneOf(w.type, join(path, 'type'), ['vm', 'disk', 'public_ip'] as const);
  const dp = join(path, 'data');
  if (type === 'vm') {
    const d = members(w.data, dp, [
      'image', 'cpu', 'memory', 'rootfs_size', 'entrypoint', 'env', 'ssh_keys', 'public_ip', 'mounts',
    ]);
    if (!isObject(d.env)) throw new ParseError(join(dp, 'env'), 'expected an object');
    const env: Record<string, string> = {};
    for (const [k, val] of Object.entries(d.env)) env[k] = text(val, join(join(dp, 'env'), k));
    return {
      ...base, type, data: {
        image: text(d.image, join(dp, 'image')),
        cpu: u32(d.cpu, join(dp, 'cpu')),
        memory: u64(d.memory, join(dp, 'memory')),
        rootfs_size: u64(d.rootfs_size, join(dp, 'rootfs_size')),
        entrypoint: text(d.entrypoint, join(dp, 'entrypoint')),
        env,
        ssh_keys: list(d.ssh_keys, join(dp, 'ssh_keys'), text),
        public_ip: text(d.public_ip, join(dp, 'public_ip')),
        mounts: list(d.mounts, join(dp, 'mounts'), (m, p) => {
          const o = members(m, p, ['disk', 'mount_point']);
          return { disk: text(o.disk, join(p, 'disk')), mount_point: text(o.mount_point, join(p, 'mount_point')) };
        }),
      },
    };
  }
  if (type === 'disk') {
    const d = members(w.data, dp, ['size', 'kind']);
    return {
      ...base,
      type,
      data: {
        size: u64(d.size, join(dp, 'size')),
        kind: oneOf(d.kind, join(dp, 'kind'), ['ssd', 'hdd'] as const),
      },
    };
  }
  members(w.data, dp, []);
  return { ...base, type, data: {} };
}

/** Read a document from its JSON text: every member of §9.1 present, none unknown. */
export function parseDeployment(json: string): Deployment {
  let value: Json;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new ParseError('', `not JSON: ${(e as Error).message}`);
  }
  return readDeployment(value);
}

/** The same check on a value already parsed. */
export function readDeployment(value: Json): Deployment {
  const d = members(value, '', [
    'version', 'twin_id', 'contract_id', 'metadata', 'description', 'signature_requirement', 'workloads',
  ]);
  const sp = 'signature_requirement';
  const s = members(d.signature_requirement, sp, ['requests', 'weight_required', 'signatures']);
  return {
    version: u32(d.version, 'version'),
    twin_id: u32(d.twin_id, 'twin_id'),
    contract_id: u64(d.contract_id, 'contract_id'),
    metadata: text(d.metadata, 'metadata'),
    description: text(d.description, 'description'),
    signature_requirement: {
      requests: list(s.requests, join(sp, 'requests'), (r, p) => {
        const o = members(r, p, ['twin_id', 'weight', 'required']);
        if (typeof o.required !== 'boolean') throw new ParseError(join(p, 'required'), 'expected true or false');
        return {
          twin_id: u32(o.twin_id, join(p, 'twin_id')),
          weight: u32(o.weight, join(p, 'weight')),
          required: o.required,
        };
      }),
      weight_required: u32(s.weight_required, join(sp, 'weight_required')),
      signatures: list(s.signatures, join(sp, 'signatures'), (g, p) => {
        const o = members(g, p, ['twin_id', 'key_type', 'signature']);
        return {
          twin_id: u32(o.twin_id, join(p, 'twin_id')),
          key_type: oneOf(o.key_type, join(p, 'key_type'), ['sr25519', 'ed25519'] as const),
          signature: signatureHex(o.signature, join(p, 'signature')),
        };
      }),
    },
    workloads: list(d.workloads, 'workloads', parseWorkload),
  };
}

// ---- validation (§9.1, and the requirement's shape of §9.4) -------------------------------------

const NAME = /^[a-z0-9_]{1,36}$/;

/** Check every rule of §9.1 and the requirement's shape; throws the first broken one. */
export function validate(doc: Deployment): void {
  if (doc.workloads.length === 0) {
    throw new DeploymentError('NoWorkloads', 'the document has no workloads: add at least one');
  }
  if (doc.workloads.length > MAX_WORKLOADS) {
    throw new DeploymentError(
      'TooManyWorkloads',
      `the document has ${doc.workloads.length} workloads, more than the ${MAX_WORKLOADS} a document may have`,
      { count: doc.workloads.length, max: MAX_WORKLOADS },
    );
  }
  const byName = new Map<string, Workload>();
  for (const w of doc.workloads) {
    if (!NAME.test(w.name)) {
      throw new DeploymentError(
        'BadWorkloadName',
        `workload \`${w.name}\`: the name must be 1 to 36 characters of a-z, 0-9 and _`,
        { name: w.name },
      );
    }
    if (byName.has(w.name)) {
      throw new DeploymentError(
        'DuplicateWorkloadName',
        `workload \`${w.name}\`: the name is used by more than one workload`,
        { name: w.name },
      );
    }
    byName.set(w.name, w);
    if (w.version > doc.version) {
      throw new DeploymentError(
        'WorkloadVersionAboveDocument',
        `workload \`${w.name}\`: version is ${w.version}, above the document's version ${doc.version}`,
        { name: w.name },
      );
    }
  }
  const ipUsers = new Map<string, string>();
  const diskUsers = new Map<string, string>();
  for (const w of doc.workloads) {
    const name = w.name;
    if (w.type === 'disk' && w.data.size < GIB) {
      throw new DeploymentError(
        'DiskTooSmall',
        `workload \`${name}\`: data.size is ${w.data.size} bytes, below the minimum of 1 GiB`,
        { name },
      );
    }
    if (w.type !== 'vm') continue;
    const d = w.data;
    if (d.cpu < 1 || d.cpu > 64) {
      throw new DeploymentError(
        'CpuOutOfRange',
        `workload \`${name}\`: data.cpu is ${d.cpu}, it must be 1 to 64`,
        { name },
      );
    }
    if (d.memory < 256 * MIB) {
      throw new DeploymentError(
        'MemoryTooSmall',
        `workload \`${name}\`: data.memory is ${d.memory} bytes, below the minimum of 256 MiB`,
        { name },
      );
    }
    if (d.rootfs_size < GIB) {
      throw new DeploymentError(
        'RootfsTooSmall',
        `workload \`${name}\`: data.rootfs_size is ${d.rootfs_size} bytes, below the minimum of 1 GiB`,
        { name },
      );
    }
    if (d.public_ip !== '') {
      const ip = byName.get(d.public_ip);
      if (!ip) {
        throw new DeploymentError(
          'PublicIpMissing',
          `workload \`${name}\`: data.public_ip names \`${d.public_ip}\`, which is not a workload of the document`,
          { name },
        );
      }
      if (ip.type !== 'public_ip') {
        throw new DeploymentError(
          'PublicIpNotPublicIp',
          `workload \`${name}\`: data.public_ip names \`${d.public_ip}\`, a ${ip.type} workload, not a public_ip one`,
          { name },
        );
      }
      const other = ipUsers.get(d.public_ip);
      if (other !== undefined) {
        throw new DeploymentError(
          'PublicIpUsedTwice',
          `workload \`${name}\`: data.public_ip \`${d.public_ip}\` is already used by the VM \`${other}\``,
          { name },
        );
      }
      ipUsers.set(d.public_ip, name);
    }
    for (const m of d.mounts) {
      const disk = byName.get(m.disk);
      if (!disk) {
        throw new DeploymentError(
          'MountDiskMissing',
          `workload \`${name}\`: data.mounts names the disk \`${m.disk}\`, which is not a workload of the document`,
          { name },
        );
      }
      if (disk.type !== 'disk') {
        throw new DeploymentError(
          'MountNotDisk',
          `workload \`${name}\`: data.mounts names \`${m.disk}\`, a ${disk.type} workload, not a disk`,
          { name },
        );
      }
      const other = diskUsers.get(m.disk);
      if (other !== undefined) {
        throw new DeploymentError(
          'DiskMountedTwice',
          `workload \`${name}\`: data.mounts mounts the disk \`${m.disk}\`, which the VM \`${other}\` already mounts`,
          { name },
        );
      }
      diskUsers.set(m.disk, name);
    }
  }
  checkRequirementShape(doc.signature_requirement);
}

function checkRequirementShape(req: SignatureRequirement): void {
  if (req.requests.length === 0) {
    throw new DeploymentError('NoRequests', 'signature_requirement.requests is empty: name at least one twin');
  }
  if (req.requests.length > MAX_REQUESTS) {
    throw new DeploymentError(
      'TooManyRequests',
      `signature_requirement.requests names ${req.requests.length} twins, `
        + `more than the ${MAX_REQUESTS} a requirement may name`,
      { count: req.requests.length, max: MAX_REQUESTS },
    );
  }
  if (req.signatures.length > MAX_SIGNATURES) {
    throw new DeploymentError(
      'TooManySignatures',
      `signature_requirement.signatures holds ${req.signatures.length} signatures, `
        + `more than the ${MAX_SIGNATURES} a document may carry`,
      { count: req.signatures.length, max: MAX_SIGNATURES },
    );
  }
  const seen = new Set<number>();
  let total = 0;
  for (const r of req.requests) {
    if (seen.has(r.twin_id)) {
      throw new DeploymentError(
        'TwinRequestedTwice',
        `signature_requirement.requests names twin ${r.twin_id} more than once`,
        { twin_id: r.twin_id },
      );
    }
    seen.add(r.twin_id);
    total += r.weight;
  }
  if (req.weight_required === 0) {
    throw new DeploymentError(
      'WeightRequiredZero',
      'signature_requirement.weight_required is 0: it must be at least 1',
    );
  }
  if (req.weight_required > total) {
    throw new DeploymentError(
      'WeightRequiredAboveTotal',
      `signature_requirement.weight_required is ${req.weight_required}, above the requests' total weight ${total}`,
      { weight_required: req.weight_required, total },
    );
  }
}

// ---- capacity, challenge, hash (§9.2, §9.3) -----------------------------------------------------

/** vCPUs, and bytes of memory, SSD and HDD: the chain's `Resources`. */
export interface Resources { cru: number; mru: number; sru: number; hru: number }
/** What a document reserves: its resources, declared on its contract (SPEC §4.5), and its public IPs. */
export interface Capacity extends Resources { public_ips: number }

/** What the node reserves for the document (§9.2). */
export function capacity(doc: Deployment): Capacity {
  const c: Capacity = { cru: 0, mru: 0, sru: 0, hru: 0, public_ips: 0 };
  for (const w of doc.workloads) {
    if (w.type === 'vm') {
      c.cru += w.data.cpu;
      c.mru += w.data.memory;
      c.sru += w.data.rootfs_size;
    } else if (w.type === 'disk') {
      if (w.data.kind === 'ssd') c.sru += w.data.size;
      else c.hru += w.data.size;
    } else {
      c.public_ips += 1;
    }
  }
  return c;
}

/** Resources in words: `1 vCPU, 1 GiB memory, 12 GiB SSD, 0 GiB HDD`. */
export function describeResources(r: Resources): string {
  return `${r.cru} vCPU, ${r.mru / GIB} GiB memory, ${r.sru / GIB} GiB SSD, ${r.hru / GIB} GiB HDD`;
}

/** A capacity in words: `1 vCPU, 1 GiB memory, 12 GiB SSD, 0 GiB HDD, 1 public IP`. */
export function describeCapacity(c: Capacity): string {
  return `${describeResources(c)}, ${c.public_ips} public IP${c.public_ips === 1 ? '' : 's'}`;
}

/** JCS (RFC 8785) of a value. */
export function canonical(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new DeploymentError('Parse', 'the value has no canonical JSON');
  return text;
}

/** The challenge: JCS of the document without `contract_id` and the signatures. */
export function challenge(doc: Deployment): string {
  const { contract_id: _contractId, signature_requirement, ...rest } = doc;
  const { signatures: _signatures, ...requirement } = signature_requirement;
  return canonical({ ...rest, signature_requirement: requirement });
}

/** BLAKE2b-256 of the challenge: the contract's `deployment_hash`. */
export function deploymentHash(doc: Deployment): Uint8Array {
  return blake2AsU8a(stringToU8a(challenge(doc)), 256);
}

export const hashHex = (doc: Deployment) => u8aToHex(deploymentHash(doc));

// ---- signatures (§9.4) --------------------------------------------------------------------------

/** Something that signs bytes with a twin's account key: a key held by the page, or a wallet
 * extension (whose `signRaw` is asynchronous and signs the bytes wrapped, see {@link wrapped}). */
export interface Signer {
  keyType: KeyType;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** An ed25519 signer from a 32-byte seed (used by the vectors; the dashboard signs with sr25519). */
export function ed25519Signer(seed: Uint8Array): Signer & { publicKey: Uint8Array } {
  const pair = ed25519PairFromSeed(seed);
  return { keyType: 'ed25519', publicKey: pair.publicKey, sign: async (m) => ed25519Sign(m, pair) };
}

/** Add (or replace) `twinId`'s signature of the document's hash. */
export async function sign(doc: Deployment, twinId: number, signer: Signer): Promise<Deployment> {
  const signature = u8aToHex(await signer.sign(deploymentHash(doc)));
  const others = doc.signature_requirement.signatures.filter((s) => s.twin_id !== twinId);
  return {
    ...doc,
    signature_requirement: {
      ...doc.signature_requirement,
      signatures: [...others, { twin_id: twinId, key_type: signer.keyType, signature }],
    },
  };
}

/** `message` as a browser-extension wallet signs it: `<Bytes>` ‖ message ‖ `</Bytes>` (what
 * `u8aWrapBytes` makes of bytes that are not wrapped already), so that what a wallet signs raw
 * can never be a transaction. */
export const wrapped = (message: Uint8Array): Uint8Array => u8aConcat(U8A_WRAP_PREFIX, message, U8A_WRAP_POSTFIX);

/** Check a signature by `account` (a 32-byte account id) over `message` or over its wrapped form
 * (§9.4: a wallet's signature). Request signatures (§10) are checked the same way. */
export function verifyRaw(keyType: KeyType, signature: string, account: Uint8Array, message: Uint8Array): boolean {
  return verifyExact(keyType, signature, account, message)
    || verifyExact(keyType, signature, account, wrapped(message));
}

function verifyExact(keyType: KeyType, signature: string, account: Uint8Array, message: Uint8Array): boolean {
  try {
    const sig = hexToU8a(signature);
    return keyType === 'sr25519' ? sr25519Verify(message, sig, account) : ed25519Verify(message, sig, account);
  } catch {
    return false;
  }
}

/** The twins that signed, in signature order, and their weight. */
export interface Signers { signers: number[]; weight: number }

/** Each twin's account id on chain; `undefined` for a twin that does not exist. */
export type Accounts = (twinId: number) => Uint8Array | undefined;

/** Do the document's signatures satisfy its requirement (§9.4)? Throws the first broken rule. */
export function verifySignatures(doc: Deployment, accounts: Accounts): Signers {
  const req = doc.signature_requirement;
  checkRequirementShape(req);
  const signers = verifiedSigners(doc, [req], accounts);
  return { signers, weight: signedWeight(req, signers, 'this') };
}

/** An update's signatures (§9.4): each signer named by the new or the old requirement, each
 * signature over the new document; the signatures of the twins the new requirement names satisfy
 * it, and those of the twins the old one names satisfy that one. So the old co-signers together
 * can change the requirement, and no smaller group can. */
export function verifyUpdate(old: Deployment, next: Deployment, accounts: Accounts): Signers {
  const [now, before] = [next.signature_requirement, old.signature_requirement];
  checkRequirementShape(now);
  checkRequirementShape(before);
  const signers = verifiedSigners(next, [now, before], accounts);
  const weight = signedWeight(now, signers, 'this');
  signedWeight(before, signers, 'previous');
  return { signers, weight };
}

/** The twins whose signatures of `doc` verify, in signature order: each named by one of
 * `requirements`, signing once, with an account on chain, over the document's hash (plain or
 * wrapped). Throws the first broken rule. */
function verifiedSigners(doc: Deployment, requirements: SignatureRequirement[], accounts: Accounts): number[] {
  const signatures = doc.signature_requirement.signatures;
  const named = (twin: number) => requirements.some((r) => r.requests.some((q) => q.twin_id === twin));
  const signers: number[] = [];
  for (const s of signatures) {
    if (!named(s.twin_id)) {
      throw new DeploymentError(
        'UnknownSigner',
        `twin ${s.twin_id} signed, but the requirement does not name it`,
        { twin_id: s.twin_id },
      );
    }
    if (signers.includes(s.twin_id)) {
      throw new DeploymentError(
        'DuplicateSignature',
        `twin ${s.twin_id} signed more than once`,
        { twin_id: s.twin_id },
      );
    }
    signers.push(s.twin_id);
  }
  const hash = deploymentHash(doc);
  for (const s of signatures) {
    const account = accounts(s.twin_id);
    if (!account) {
      throw new DeploymentError(
        'TwinNotOnChain',
        `twin ${s.twin_id} signed, but no such twin is on chain`,
        { twin_id: s.twin_id },
      );
    }
    if (!verifyRaw(s.key_type, s.signature, account, hash)) {
      throw new DeploymentError(
        'BadSignature',
        `twin ${s.twin_id}'s signature does not verify over this document's hash`,
        { twin_id: s.twin_id },
      );
    }
  }
  return signers;
}

/** The weight `signers` carry in `req`, after checking that its required twins signed. The
 * previous requirement of an update breaks rules of their own names. */
function signedWeight(req: SignatureRequirement, signers: number[], version: 'this' | 'previous'): number {
  const previous = version === 'previous';
  const [missing, below] = previous
    ? ['PreviousRequiredSignerMissing', 'PreviousWeightBelowThreshold']
    : ['RequiredSignerMissing', 'WeightBelowThreshold'];
  for (const r of req.requests) {
    if (r.required && !signers.includes(r.twin_id)) {
      throw new DeploymentError(
        missing,
        previous
          ? `twin ${r.twin_id} was required by the previous version and has not signed this one`
          : `twin ${r.twin_id} must sign, and has not`,
        { twin_id: r.twin_id },
      );
    }
  }
  const weight = req.requests.filter((r) => signers.includes(r.twin_id)).reduce((sum, r) => sum + r.weight, 0);
  if (weight < req.weight_required) {
    throw new DeploymentError(
      below,
      previous
        ? `the signers weigh ${weight} in the previous requirement, which needs ${req.weight_required}`
        : `the signers weigh ${weight}, the requirement needs ${req.weight_required}`,
      { weight, weight_required: req.weight_required },
    );
  }
  return weight;
}
