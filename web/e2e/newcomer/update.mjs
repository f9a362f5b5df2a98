// Issue 26, the update path, as Dave (with Eve as his co-signer and as another tenant of node 1)
// on 6 s blocks: the deploy form refuses what it knows cannot work before anything is signed;
// "Before you sign" shows the deposit and the monthly cost; a co-signed deploy returns the form to
// its own tab; an update goes through the same form (GiB, price, capacity, a diff), numbered from
// what the node runs; the node is asked first (a refusal changes nothing on chain); an update the
// node refuses after the chain took it is said plainly and put back from the page; a co-signed
// contract's update collects the co-signer's signature through its link.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { acceptOffer } from '../attacks.mjs';
import { grid, gridBin, gridFailsWith } from '../support.mjs';

const GIB = 2 ** 30;
const run = promisify(execFile);

/** `grid --json …` without blocking the test's event loop (a route handler waits on it). */
async function gridAsync(rpc, args, key) {
  const { stdout } = await run(gridBin, ['--url', rpc, '--json', '--key', key, ...args], { encoding: 'utf8' });
  return stdout.trim() ? JSON.parse(stdout) : null;
}

export async function update({ browser, g, log, shot }) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('dialog', (d) => d.accept());
  page.on('pageerror', (e) => log('page error:', e.message));
  const nav = (id) => page.click(`nav button[data-page="${id}"]`);
  const signIn = async (name) => {
    await nav('account');
    await page.getByTestId('dev-accounts').getByRole('button', { name, exact: true }).click();
    await page.getByTestId('account').waitFor();
  };
  const work = mkdtempSync(join(tmpdir(), 'grid-update-'));
  try {
    await page.goto(g.url);
    await page.locator('nav').waitFor();
    if (await page.getByTestId('endpoint-offer').isVisible()) await acceptOffer(page);
    await signIn('Dave');
    const createTwin = page.getByRole('button', { name: 'Create my twin' });
    if (await createTwin.isVisible()) await createTwin.click();
    await page.getByTestId('twin').filter({ hasText: /^twin \d+$/ }).waitFor({ timeout: 90_000 });
    if (gridFailsWith(g.rpc, ['twin', 'show'], { key: '//Eve' }) !== null) {
      grid(g.rpc, ['twin', 'create'], { key: '//Eve' });
    }
    const eveTwin = grid(g.rpc, ['twin', 'show'], { key: '//Eve' }).id;
    log('Dave and Eve have their twins');

    await formRefusesWhatCannotWork(page, nav, g, log, shot);
    const eve = startEvesDeployment(g, work);
    const a = await deployWithCosts(page, g, log, shot);
    const e = await eve;
    log(`Eve's contract ${e.id} runs on node 1 beside Dave's ${a}`);
    const c = await cosignedDeploy(page, { nav, signIn, eveTwin, log, shot });

    await updateForm(page, nav, a, log, shot);
    await strandedAndPutBack(page, { g, nav, a, e, work, log, shot });
    await preflightRefuses(page, nav, g, a, log, shot);
    await cosignedUpdate(page, { g, nav, signIn, c, log, shot });

    grid(g.rpc, ['contract', 'cancel', String(a), String(c)], { key: '//Dave' });
    grid(g.rpc, ['contract', 'cancel', String(e.id)], { key: '//Eve' });
  } catch (err) {
    await shot(page, 'update-failed').catch(() => undefined);
    throw err;
  } finally {
    await page.close();
  }
}

/** The sign button is off, with the sentence shown, for each target or field the page knows is wrong. */
async function formRefusesWhatCannotWork(page, nav, g, log, shot) {
  const before = grid(g.rpc, ['contract', 'list'], { key: '//Dave' });
  await nav('deploy');
  const refused = async (fill, text) => {
    await fill();
    await page.getByTestId('form-error').filter({ hasText: text }).waitFor({ timeout: 30_000 });
    assert.ok(await page.getByTestId('deploy').isDisabled(), `no sign button for: ${text}`);
  };
  await refused(() => page.locator('#node').fill('999'), 'Node 999 does not exist.');
  await refused(() => page.locator('#node').fill('abc'), 'Node: "abc" is not a node number; give a number such as 1.');
  await page.locator('#node').fill('1');
  await refused(() => page.locator('#cpu').fill('17'), /Node 1 has \d+ free vCPUs; this asks for 17 vCPUs\./);
  await shot(page, 'update-0-17-vcpus');
  await page.locator('#cpu').fill('1');
  await refused(() => page.locator('#image').fill('nginx latest'), 'Image: "nginx latest" has a space in it');
  await refused(
    () => page.locator('#image').fill(''),
    'Image: give an image reference, such as docker.io/library/nginx:1.27.',
  );
  await refused(() => page.locator('#image').fill('::'), 'Image: "::" is not an image reference');
  await page.locator('#image').fill('docker.io/library/nginx:1.27');
  await refused(() => page.locator('#disk').fill('abc'), 'Data disk web_data, size: "abc" is not a number');
  await refused(() => page.locator('#disk').fill('-5'), 'Data disk web_data, size: must be at least 1 GiB.');
  await page.locator('#disk').fill('10');
  await page.locator('[data-testid="deploy"]:not([disabled])').waitFor({ timeout: 30_000 });
  assert.deepEqual(grid(g.rpc, ['contract', 'list'], { key: '//Dave' }), before, 'nothing was signed');
  log('node 999, "abc", 17 vCPUs, three bad images and two bad disk sizes: each named, no sign button');
}

/** Eve deploys a small VM with a public IP on node 1 with `grid` (while Dave uses the page). */
async function startEvesDeployment(g, work) {
  const file = join(work, 'eve-0.json');
  await gridAsync(g.rpc, [
    'deployment', 'new', '--name', 'evevm', '--image', 'docker.io/library/redis:7', '--memory', '1G', '--rootfs', '2G',
    '--public-ip', '-o', file,
  ], '//Eve');
  await gridAsync(g.rpc, ['deployment', 'sign', file], '//Eve');
  const out = await gridAsync(g.rpc, ['contract', 'deploy', '--node', '1', file], '//Eve');
  const id = out.contract_id ?? out.contract?.contract_id ?? out.contract?.id;
  return { id, doc: { ...JSON.parse(readFileSync(file, 'utf8')), contract_id: id } };
}

/** Dave's web VM: the deposit and the monthly cost before signing; then deployed, after the node's pre-flight. */
async function deployWithCosts(page, g, log, shot) {
  await page.getByTestId('price').filter({ hasText: 'TFT' }).waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('monthly').textContent(), /^about [\d.,]+ TFT \(720 hours\)/);
  await page.getByTestId('deposit')
    .filter({ hasText: 'TFT held while the contract lives' })
    .waitFor({ timeout: 30_000 });
  assert.equal(
    await page.getByTestId('capacity').textContent(),
    '1 vCPU, 1 GiB memory, 12 GiB SSD, 0 GiB HDD, 1 public IP',
  );
  await shot(page, 'update-1-before-you-sign');
  await page.getByTestId('deploy').click();
  await page.getByTestId('deployed').waitFor({ timeout: 180_000 });
  assert.equal(await page.locator('[data-step="preflight"][data-state="done"]').count(), 1, 'the node was asked first');
  const id = Number((await page.getByTestId('deployed').textContent()).match(/Contract (\d+)/)[1]);
  assert.equal(grid(g.rpc, ['contract', 'show', String(id)]).state, 'deployed');
  log(`Dave's contract ${id} deployed after the node's pre-flight`);
  return id;
}

/** Dave and Eve (both required) deploy "shared"; after it the deploy page is back on its own form,
 * which now sees that farm 1 has no free IP left. */
async function cosignedDeploy(page, { nav, signIn, eveTwin, log, shot }) {
  await nav('deploy');
  await page.locator('#vm-name').fill('shared');
  await page.locator('#cosigners').fill(`${eveTwin} 1 yes`);
  await page.locator('#weight-required').fill('2');
  await page.getByTestId('deploy').filter({ hasText: 'Sign and pass on to co-signers' }).click();
  const link = await page.getByTestId('share-link').getAttribute('href');
  await page.goto(link);
  await signIn('Eve');
  await nav('cosign');
  await page.getByRole('button', { name: 'Add my signature' }).click();
  await page.getByTestId('verdict').filter({ hasText: 'satisfied: weight 2 of 2' }).waitFor();
  const signed = await page.getByTestId('cosign-link').textContent();
  await page.goto(signed);
  await signIn('Dave');
  await nav('cosign');
  await page.getByRole('button', { name: 'Deploy it' }).click();
  await page.locator('#node').fill('1');
  await page.getByTestId('deploy').click();
  await page.getByTestId('deployed').waitFor({ timeout: 180_000 });
  const id = Number((await page.getByTestId('deployed').textContent()).match(/Contract (\d+)/)[1]);
  await page.getByRole('heading', { name: 'Deploy a VM' }).waitFor();
  await page.locator('#vm-name').waitFor();
  await page.locator('#node').fill('1');
  await page.getByTestId('form-error')
    .filter({ hasText: 'Farm 1 has no free public IP: untick Public IPv4, or choose a node in another farm.' })
    .waitFor({ timeout: 30_000 });
  assert.ok(await page.getByTestId('deploy').isDisabled());
  await shot(page, 'update-2-no-free-ip');
  log(`co-signed contract ${id} deployed; the form is back, and sees no free IP in farm 1`);
  return id;
}

const openContract = async (page, nav, id) => {
  await nav('account');
  await nav('contracts');
  await page.locator(`tr[data-contract="${id}"]`).getByRole('button', { name: 'Open' }).click();
  await page.getByTestId('contract-detail').waitFor();
};

/** The update form: the running document in GiB, the diff, the price; 200 GiB of memory refused before signing. */
async function updateForm(page, nav, a, log, shot) {
  await openContract(page, nav, a);
  await page.getByRole('button', { name: 'Update', exact: true }).click();
  const panel = page.getByTestId('update-panel');
  await panel.locator('#memory').waitFor({ timeout: 30_000 });
  assert.deepEqual([
    await panel.locator('#memory').inputValue(),
    await panel.locator('#disk').inputValue(),
    await panel.locator('#cpu').inputValue(),
  ], ['1', '10', '1']);
  await panel.locator('#memory').fill('2');
  await page.getByTestId('changes').locator('tr', { hasText: 'VM web: memory' }).waitFor();
  assert.equal(await page.getByTestId('changes').locator('tbody tr').first().textContent(), 'VM web: memory1 GiB2 GiB');
  assert.equal(
    await page.getByTestId('capacity').textContent(),
    '1 vCPU, 2 GiB memory, 12 GiB SSD, 0 GiB HDD, 1 public IP',
  );
  await page.getByTestId('price').filter({ hasText: 'TFT' }).waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="sign-update"]:not([disabled])').waitFor({ timeout: 30_000 });
  await shot(page, 'update-3-form-diff');
  await panel.locator('#memory').fill('200');
  await page.getByTestId('form-error').filter({ hasText: /Node 1 has [\d.]+ GiB of free memory for this contract; this asks for 200 GiB\./ }).waitFor({ timeout: 30_000 });
  assert.ok(await page.getByTestId('sign-update').isDisabled(), 'no sign button for 200 GiB');
  log('the update form shows GiB, the price, the capacity and the diff; 200 GiB is refused before signing');
}

/** Eve's update the node takes, then her chain-only update that shrinks what her contract
 * declares: the node still runs her 30 GiB, which the chain no longer counts. */
async function evesNodeOutgrowsHerContract(g, e, work) {
  const write = (name, version, memoryGib) => {
    const doc = structuredClone(e.doc);
    doc.version = version;
    doc.signature_requirement.signatures = [];
    const vm = doc.workloads.find((w) => w.type === 'vm');
    vm.data.memory = memoryGib * GIB;
    vm.version = version;
    const file = join(work, name);
    writeFileSync(file, JSON.stringify(doc));
    return file;
  };
  const grown = write('eve-1.json', 1, 30);
  await gridAsync(g.rpc, ['deployment', 'sign', grown], '//Eve');
  await gridAsync(g.rpc, ['contract', 'update', '--deploy', String(e.id), grown], '//Eve');
  const shrunk = write('eve-2.json', 2, 1);
  await gridAsync(g.rpc, ['deployment', 'sign', shrunk], '//Eve');
  await gridAsync(g.rpc, ['contract', 'update', String(e.id), shrunk], '//Eve');
}

/** 40 GiB: the node says yes to the pre-flight; while its answer travels, Eve's deployment takes
 * the node's memory; the chain takes Dave's update, the node refuses it. The page says so, and
 * after a reopen offers to put back what the node runs, which lands. */
async function strandedAndPutBack(page, { g, nav, a, e, work, log, shot }) {
  const before = grid(g.rpc, ['contract', 'show', String(a)]);
  const route = `${g.agent}/v1/deployments/${a}/check`;
  let preflights = 0;
  await page.route(route, async (r) => {
    if (r.request().method() !== 'PUT') return r.continue();
    const answer = await r.fetch();
    preflights += 1;
    log(`the node answered the pre-flight ${answer.status()}; Eve now takes its memory`);
    await evesNodeOutgrowsHerContract(g, e, work);
    await r.fulfill({ response: answer });
  });
  await page.getByTestId('update-panel').locator('#memory').fill('40');
  await page.locator('[data-testid="sign-update"]:not([disabled])').click({ timeout: 30_000 });
  await page.getByTestId('stranded').waitFor({ timeout: 300_000 });
  await page.unroute(route);
  assert.equal(preflights, 1);
  const problem = await page.getByTestId('stranded-problem').textContent();
  log('shown:', problem);
  assert.match(problem, new RegExp(
    `^Contract ${a} now holds version 1 of its deployment, which node 1 refused: NotEnoughCapacity: `
      + '.*The node still runs version 0\\.$',
  ));
  const held = grid(g.rpc, ['contract', 'show', String(a)]);
  assert.equal(held.state, 'created');
  assert.equal(held.version, before.version + 1);
  await shot(page, 'update-4-stranded');

  await openContract(page, nav, a);
  await page.getByTestId('stranded-problem')
    .filter({ hasText: `node 1 does not run; the node still runs version 0` })
    .waitFor({ timeout: 60_000 });
  await page.getByTestId('put-back').click();
  await page.getByTestId('detail-message')
    .filter({ hasText: `Contract ${a} holds again what its node runs (version 1), and is deployed.` })
    .waitFor({ timeout: 240_000 });
  await shot(page, 'update-5-put-back');
  const back = grid(g.rpc, ['contract', 'show', String(a)]);
  assert.equal(back.state, 'deployed');
  assert.equal(back.version, before.version + 2);
  const doc = grid(g.rpc, ['contract', 'show', String(a), '--decrypt'], { key: '//Dave' }).deployment;
  const vm = doc.workloads.find((w) => w.type === 'vm');
  assert.deepEqual([doc.version, vm.data.memory, vm.version], [1, GIB, 0], 'the running content, as version 1');
  log(`contract ${a}: the node's refusal shown, and what it runs put back as version 1: deployed`);
}

/** The node still runs Eve's 30 GiB: 40 GiB passes the page's check of the chain, the node's
 * pre-flight refuses it, and nothing changes on chain. */
async function preflightRefuses(page, nav, g, a, log, shot) {
  const before = show(g, a);
  await openContract(page, nav, a);
  await page.getByRole('button', { name: 'Update', exact: true }).click();
  const panel = page.getByTestId('update-panel');
  await panel.locator('#memory').waitFor({ timeout: 30_000 });
  await panel.locator('#memory').fill('40');
  await page.locator('[data-testid="sign-update"]:not([disabled])').click({ timeout: 30_000 });
  await page.getByTestId('update-error').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('update-error').textContent(), /^The node refused \(NotEnoughCapacity\): /);
  await page.locator('[data-step="preflight"][data-state="failed"]').waitFor();
  assert.equal(await page.locator('[data-step="contract"]').count(), 0, 'the chain was never asked');
  const after = show(g, a);
  assert.deepEqual(
    [after.version, after.deployment_hash, after.state],
    [before.version, before.deployment_hash, 'deployed'],
  );
  await shot(page, 'update-6-preflight-refused');
  log('the pre-flight refused 40 GiB: contract version and hash unchanged');
}

/** Dave updates the co-signed contract: Eve signs through the link, Dave updates from it. */
async function cosignedUpdate(page, { g, nav, signIn, c, log, shot }) {
  const before = show(g, c);
  await openContract(page, nav, c);
  await page.getByRole('button', { name: 'Update', exact: true }).click();
  const panel = page.getByTestId('update-panel');
  await panel.locator('#cpu').waitFor({ timeout: 30_000 });
  await panel.locator('#cpu').fill('2');
  await page.getByTestId('sign-update')
    .filter({ hasText: 'Sign and pass on to co-signers' })
    .click({ timeout: 30_000 });
  const link = await page.getByTestId('update-share-link').getAttribute('href');
  await page.goto(link);
  await signIn('Eve');
  await nav('cosign');
  await page.getByTestId('replaces').filter({ hasText: /^version 0, whose requirement is / }).waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('cosign-changes').textContent(), /VM shared: vCPUs: 1 → 2/);
  await page.getByRole('button', { name: 'Add my signature' }).click();
  await page.getByTestId('verdict').filter({ hasText: 'satisfied: weight 2 of 2' }).waitFor();
  const signed = await page.getByTestId('cosign-link').textContent();
  await page.goto(signed);
  await signIn('Dave');
  await nav('cosign');
  await page.getByRole('button', { name: `Update contract ${c}` }).click();
  await page.getByTestId('cosign-updated').waitFor({ timeout: 240_000 });
  await shot(page, 'update-7-cosigned-update');
  const after = show(g, c);
  assert.deepEqual([after.state, after.version], ['deployed', before.version + 1]);
  const doc = grid(g.rpc, ['contract', 'show', String(c), '--decrypt'], { key: '//Dave' }).deployment;
  assert.equal(doc.workloads.find((w) => w.type === 'vm').data.cpu, 2);
  assert.equal(doc.signature_requirement.signatures.length, 2);
  log(`co-signed contract ${c} updated with Eve's signature collected through the link`);
}

const show = (g, id) => grid(g.rpc, ['contract', 'show', String(id)]);
