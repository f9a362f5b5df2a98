// The deploy and update form: each wrong field named in the user's words, sizes in GiB, and the
// fields of a running document; the target node's problems (missing capacity, no free IP).
import { describe, expect, test } from 'vitest';
import { type Deployment, GIB, capacity } from '../src/deployment';
import {
  type FormFields, buildDocument, formOf, formReducer, imageProblem, newForm, nodeOf,
} from '../src/deploymentForm';
import type { HourlyPrice } from '../src/pricing';
import { type Target, depositFor, targetProblems } from '../src/target';

const DAVE = 4;
const form = (patch: Partial<FormFields> = {}): FormFields => ({ ...newForm(1), ...patch });
const errorsOf = (f: FormFields) => buildDocument(f, { twinId: DAVE }).errors;

describe('the image is an OCI reference', () => {
  test.each([
    'docker.io/library/nginx:1.27',
    'nginx',
    'ghcr.io/owner/app@sha256:' + 'a'.repeat(64),
    'registry.example.com:5000/team/app:v1.2-rc',
  ])('%s is taken', (image) => {
    expect(imageProblem(image)).toBeNull();
  });

  test('an empty image is refused with an example', () => {
    expect(imageProblem('')).toBe('Image: give an image reference, such as docker.io/library/nginx:1.27.');
  });

  test('an image with a space is refused, and says so', () => {
    expect(imageProblem('nginx latest')).toMatch(/^Image: "nginx latest" has a space in it/);
  });

  test.each(['::', 'Nginx:1', 'docker://nginx', '/etc/passwd', 'nginx:'])('%s is refused', (image) => {
    expect(imageProblem(image)).toMatch(/is not an image reference; write it like docker.io\/library\/nginx:1.27/);
  });
});

describe('each wrong field is named', () => {
  test('the default form builds a document: a VM, a 10 GiB disk, an IP', () => {
    const { doc, errors } = buildDocument(form(), { twinId: DAVE });
    expect(errors).toEqual({});
    expect(capacity(doc!)).toEqual({ cru: 1, mru: GIB, sru: 12 * GIB, hru: 0, public_ips: 1 });
  });

  test('a disk size that is not a number is a field error, not a dropped disk', () => {
    const f = form({ disks: [{ name: '', size: 'abc', kind: 'ssd', mountPoint: '/data' }] });
    expect(errorsOf(f)).toEqual({ 'disk-0': 'Data disk web_data, size: "abc" is not a number; give a number of GiB.' });
    expect(buildDocument(f, { twinId: DAVE }).doc).toBeNull();
  });

  test('a negative disk size is a field error', () => {
    const f = form({ disks: [{ name: '', size: '-5', kind: 'ssd', mountPoint: '/data' }] });
    expect(errorsOf(f)['disk-0']).toBe('Data disk web_data, size: must be at least 1 GiB.');
  });

  test('a bad mount point is a field error', () => {
    expect(errorsOf(form({ disks: [{ name: '', size: '10', kind: 'ssd', mountPoint: 'data' }] }))['disk-0']).toMatch(/^Data disk web_data, mount point "data": must be an absolute path/);
  });

  test('vCPUs, memory and root filesystem say what they need', () => {
    expect(errorsOf(form({ cpu: '0', memory: '0.1', rootfs: 'x' }))).toEqual({
      cpu: 'vCPUs: must be at least 1.',
      memory: 'Memory: must be at least 0.25 GiB.',
      rootfs: 'Root filesystem: "x" is not a number; give a number of GiB.',
    });
  });

  test('a bad image is a field error', () => {
    expect(errorsOf(form({ image: 'nginx latest' })).image).toMatch(/^Image: /);
  });

  test('environment lines must be KEY=VALUE', () => {
    expect(errorsOf(form({ env: 'TZ' })).env).toBe('Environment: "TZ" is not KEY=VALUE.');
  });

  test('no disk at all is a document without disk', () => {
    const { doc } = buildDocument(form({ disks: [] }), { twinId: DAVE });
    expect(doc!.workloads.map((w) => w.type)).toEqual(['vm', 'public_ip']);
  });

  test('co-signers join the requirement after the owner', () => {
    const { doc } = buildDocument(form({ cosigners: '5 1 yes', weightRequired: '2' }), { twinId: DAVE });
    expect(doc!.signature_requirement).toEqual({
      requests: [{ twin_id: DAVE, weight: 1, required: true }, { twin_id: 5, weight: 1, required: true }],
      weight_required: 2,
      signatures: [],
    });
  });
});

describe('the node field', () => {
  test('a number is a node', () => expect(nodeOf('12')).toEqual({ nodeId: 12 }));
  test('"abc" is a field error, not a price computed forever', () => {
    expect(nodeOf('abc')).toEqual({ error: 'Node: "abc" is not a node number; give a number such as 1.' });
  });
  test('nothing is asked for', () => {
    expect(nodeOf('')).toEqual({ error: 'Node: choose a node (Find one lists them).' });
  });
});

describe('a running document in the form', () => {
  test('its fields, in GiB, give back the same document', () => {
    const fields = form({ memory: '4', env: 'TZ=UTC', cosigners: '5 1 no', weightRequired: '1' });
    const running = buildDocument(fields, { twinId: DAVE }).doc!;
    const shown = formOf(running, 1);
    if (!('fields' in shown)) throw new Error(shown.error);
    expect([shown.fields.memory, shown.fields.disks[0].size, shown.fields.env]).toEqual(['4', '10', 'TZ=UTC']);
    expect(buildDocument(shown.fields, { twinId: DAVE, running }).doc).toEqual(running);
  });

  test('a document of two VMs is not for this form', () => {
    const running = buildDocument(form(), { twinId: DAVE }).doc!;
    const vm = running.workloads[0];
    if (vm.type !== 'vm') throw new Error('the VM comes first');
    const other = { ...vm, name: 'other', data: { ...vm.data, public_ip: '', mounts: [] } };
    const two: Deployment = { ...running, workloads: [...running.workloads, other] };
    expect(formOf(two, 1)).toEqual({
      error: 'This deployment has 2 VMs; the form edits one VM with its disks and public IP.',
    });
  });

  test('the reducer edits one disk and adds another', () => {
    let f = formReducer(form(), { type: 'disk', index: 0, patch: { size: '20' } });
    f = formReducer(f, { type: 'addDisk' });
    expect(f.disks.map((d) => d.size)).toEqual(['20', '10']);
    expect(formReducer(f, { type: 'removeDisk', index: 0 }).disks).toHaveLength(1);
  });
});

describe('the target node', () => {
  const price = { hourlyUnits: 1n } as HourlyPrice;
  const node: Target = {
    nodeId: 1,
    farmId: 1,
    free: { cru: 16, mru: 64 * GIB, sru: 1024 * GIB, hru: 0 },
    freeIps: 0,
    price,
    depositBase: 10_000_000n,
    depositPerByte: 10_000n,
  };
  const doc = (cpu: string, publicIp: boolean) =>
    capacity(buildDocument(form({ cpu, publicIp }), { twinId: DAVE }).doc!);

  test('17 vCPUs on a node with 16 free is named in free vCPUs', () => {
    expect(targetProblems(node, doc('17', false), null)).toEqual(['Node 1 has 16 free vCPUs; this asks for 17 vCPUs.']);
  });

  test('a public IP from a farm with none free', () => {
    expect(targetProblems(node, doc('1', true), null)).toEqual([
      'Farm 1 has no free public IP: untick Public IPv4, or choose a node in another farm.',
    ]);
  });

  test("on an update, the contract's own capacity counts as free, and it cannot add an IP", () => {
    const holding = { declared: { cru: 2, mru: GIB, sru: 0, hru: 0 }, publicIps: 0, contractId: 7 };
    expect(targetProblems(node, doc('18', true), holding)).toEqual([
      'Contract 7 reserved 0 public IPs; an update cannot add one: untick Public IPv4, or deploy a new contract.',
    ]);
  });

  test('200 GiB of memory on a 64 GiB node', () => {
    const cap = { ...doc('1', false), mru: 200 * GIB };
    expect(targetProblems(node, cap, null)).toEqual(['Node 1 has 64 GiB of free memory; this asks for 200 GiB.']);
  });

  test('the deposit: the base and a price per byte of encrypted document', () => {
    expect(depositFor(node, 1000)).toBe(20_000_000n);
  });
});
