// The dashboard in a real browser (Debian's Chromium through playwright-core) against the real
// local grid that `scripts/local-grid.sh` starts: chain, indexer, node agent (sim) and the built
// dashboard. Each result the page shows is checked on chain with `grid` (the Rust SDK), and the
// encryption both ways between the browser and `grid`; the attacks of issue 24 (`attacks.mjs`) are
// played against it along the way, and a user with a wallet extension (issue 25, `wallet.mjs`)
// goes through twin, co-signed deploy, co-signed update and decrypt on another browser.
// Screenshots go to web/e2e/screenshots/.
//
//   node e2e/dashboard.mjs          # starts its own local grid on spare ports, instant sealing
//   GRID_E2E_NODE_ARGS= node e2e/dashboard.mjs   # the same on 6 s blocks (slower)
//   GRID_E2E_URL=http://127.0.0.1:15173/?rpc=…&indexer=… GRID_URL=ws://… node e2e/dashboard.mjs
//                                   # against a local grid that already runs (fresh: no twins but
//                                   # the farmer's and the node's)

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  acceptOffer, assertLinkCarriesNoEndpoint, cosignViewShowsWhatRuns, cspBlocksInlineScript, framedDashboardDoesNotRun,
  linkOfferIsNotApplied,
} from './attacks.mjs';
import { walletJourney } from './wallet.mjs';
import { execFileSync } from 'node:child_process';
import { grid, gridBin, gridFails, gridFailsWith, launchBrowser, log, shots, startGrid } from './support.mjs';

async function startGridHere() {
  // Instant sealing keeps the test short; GRID_E2E_NODE_ARGS="" runs it on 6 s Aura blocks with
  // GRANDPA finality, as a newcomer's grid runs.
  const nodeArgs = (process.env.GRID_E2E_NODE_ARGS ?? '--sealing instant').split(' ').filter(Boolean);
  return startGrid({ nodeArgs, ports: { rpc: 29944, indexer: 24350, agent: 28080, web: 25173 } });
}

// ---- the browser ------------------------------------------------------------------------------

async function main() {
  mkdirSync(shots, { recursive: true });
  const g = await startGridHere();
  const browser = await launchBrowser();
  const saved = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('dialog', (d) => d.accept());
    page.on('pageerror', (e) => log('page error:', e.message));
    // Every report of the page's Content-Security-Policy: only the test's own injected script may be refused.
    const cspReports = [];
    page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) cspReports.push(m.text()); });
    const shotOf = async (on, name) => {
      const path = join(shots, `${name}.png`);
      await on.screenshot({ path, fullPage: true });
      saved.push(path);
      log('screenshot', path);
    };
    const shot = (name) => shotOf(page, name);
    const nav = (id) => page.click(`nav button[data-page="${id}"]`);
    const signIn = async (name) => {
      await nav('account');
      await page.getByTestId('dev-accounts').getByRole('button', { name, exact: true }).click();
      await page.getByTestId('account').waitFor();
    };

    // The grid's endpoints come in the URL (spare ports): the page offers them, and uses them once accepted.
    const origin = `${new URL(g.url).origin}/`;
    await page.goto(g.url);
    await page.locator('nav').waitFor();
    if (await page.getByTestId('endpoint-offer').isVisible()) await acceptOffer(page);
    await page.getByTestId('page-account').waitFor({ timeout: 60_000 });

    // Issue 24: the built page's CSP refuses an injected script; a link offering an attacker's chain
    // and indexer is shown against the known genesis hash and not used; no other site can frame the page.
    await cspBlocksInlineScript(page);
    log('the CSP refused an injected inline script and inline handler');
    await linkOfferIsNotApplied(page, { origin, rpc: g.rpc, log, shot });
    log('a link offering another chain was shown with both genesis hashes, not used, and declined');
    await framedDashboardDoesNotRun(browser, origin);
    log('the dashboard does not run framed by another page');

    // Sign in as Charlie and create the twin, with the X25519 key derived in the page.
    await signIn('Charlie');
    const createTwin = page.getByRole('button', { name: 'Create my twin' });
    if (await createTwin.isVisible()) await createTwin.click();
    await page.getByTestId('twin').filter({ hasText: /^twin \d+$/ }).waitFor({ timeout: 60_000 });
    const charlieTwin = Number((await page.getByTestId('twin').textContent()).replace('twin ', ''));
    const twinOnChain = grid(g.rpc, ['twin', 'show', String(charlieTwin)]);
    log('twin on chain:', JSON.stringify(twinOnChain));
    assert.equal(twinOnChain.id, charlieTwin);
    assert.ok(twinOnChain.pk, 'the twin has an encryption key');
    assert.match(await page.getByTestId('balance').textContent(), /TFT free/);
    await shot('1-account');

    // Find a node with a free public IP.
    await nav('grid');
    await page.getByLabel('free ips').fill('1');
    await page.getByLabel('free cpu').fill('2');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('tr[data-node="1"]').waitFor();
    assert.match(await page.getByTestId('node-count').textContent(), /^1 node$/);
    await shot('2-find-a-node');
    await page.locator('tr[data-node="1"]').getByRole('button', { name: 'Deploy here' }).click();

    // The price before signing, then deploy a VM with a data disk and a public IP.
    await page.getByTestId('page-deploy').waitFor();
    assert.equal(await page.locator('#node').inputValue(), '1');
    await page.locator('#env').fill('TZ=UTC');
    await page.getByTestId('price').filter({ hasText: 'TFT' }).waitFor();
    const capacityText = await page.getByTestId('capacity').textContent();
    assert.equal(capacityText, '1 vCPU, 1 GiB memory, 12 GiB SSD, 0 GiB HDD, 1 public IP');
    const priceText = await page.getByTestId('price').textContent();
    log('price shown:', priceText);
    // SPEC §5 by hand for 1 vCPU, 1 GiB, 12 GiB SSD and an IP at genesis prices, 0.05 USD/TFT,
    // Gold discount (a 1,000,000 TFT balance): CU = min(max(1/4, 1/2), max(1/8, 1), max(1/2, 1/4))
    // = 0.5, SU = 12/200 = 0.06 → 152,800 + 11,664 + 69,400 = 233,864 uUSD (10^-7 USD) an hour
    // = 0.467728 TFT undiscounted, 40 % paid = 0.1870912 TFT.
    assert.match(priceText, /^0\.1870912 TFT at 0\.05 USD\/TFT, Gold discount \(0\.467728 TFT undiscounted\)/);
    const hashShown = await page.getByTestId('hash').textContent();
    await shot('3-deploy-form');
    await page.getByTestId('deploy').click();
    await page.getByTestId('deployed').waitFor({ timeout: 180_000 });
    const contractId = Number((await page.getByTestId('deployed').textContent()).match(/Contract (\d+)/)[1]);
    await shot('4-deployed');
    log('deployed contract', contractId);

    const onChain = grid(g.rpc, ['contract', 'show', String(contractId)]);
    log('contract on chain:', JSON.stringify(onChain));
    assert.equal(onChain.state, 'deployed');
    assert.equal(onChain.twin_id, charlieTwin);
    assert.equal(onChain.node_id, 1);
    assert.equal(onChain.deployment_hash, hashShown);
    assert.equal(onChain.public_ips.length, 1);
    // Encrypted in the browser, decrypted by `grid` (and its hash checked by it).
    const doc = grid(g.rpc, ['contract', 'show', String(contractId), '--decrypt'], { key: '//Charlie' }).deployment;
    assert.equal(doc.twin_id, charlieTwin);
    assert.equal(doc.workloads[0].data.image, 'docker.io/library/nginx:1.27');
    assert.deepEqual(doc.workloads[0].data.env, { TZ: 'UTC' });
    assert.deepEqual(doc.signature_requirement.signatures.map((s) => s.twin_id), [charlieTwin]);
    const agentStatus = grid(g.rpc, ['deployment', 'status', String(contractId)], { key: '//Charlie' });
    assert.ok(agentStatus.workloads.every((w) => w.state === 'ok'), JSON.stringify(agentStatus));

    // The same document again: the chain refuses, and the page says why in the pallet's words.
    const contractsBefore = grid(g.rpc, ['contract', 'list'], { key: '//Charlie' });
    await nav('deploy');
    await page.locator('#node').fill('1');
    await page.locator('#env').fill('TZ=UTC');
    await page.getByTestId('hash').filter({ hasText: hashShown }).waitFor();
    await page.getByTestId('deploy').click();
    await page.getByTestId('deploy-error').waitFor({ timeout: 60_000 });
    const chainRefusal = await page.getByTestId('deploy-error').textContent();
    log('chain refusal shown:', chainRefusal);
    assert.equal(
      chainRefusal,
      'SmartContract::ContractIsNotUnique: A live contract on this node has this deployment hash.',
    );
    assert.deepEqual(grid(g.rpc, ['contract', 'list'], { key: '//Charlie' }), contractsBefore);

    // Encrypted by `grid`, decrypted in the browser.
    const work = mkdtempSync(join(tmpdir(), 'grid-e2e-'));
    const file = join(work, 'cli.json');
    execFileSync(gridBin, [
      '--url', g.rpc, '--key', '//Charlie',
      'deployment', 'new', '--name', 'fromcli', '--image', 'docker.io/library/redis:7', '--cpu', '1', '--memory', '1G',
      '-o', file,
    ], { stdio: 'ignore' });
    execFileSync(gridBin, ['--url', g.rpc, '--key', '//Charlie', 'deployment', 'sign', file], { stdio: 'ignore' });
    const cliContract = grid(g.rpc, ['contract', 'create', '--node', '1', file], { key: '//Charlie' }).contract_id;
    log('grid created contract', cliContract);

    // My contracts: the bills of the deployed one, as a chart and a table.
    await nav('contracts');
    await page.locator(`tr[data-contract="${contractId}"]`).getByRole('button', { name: 'Open' }).click();
    await page.getByTestId('bills-chart').waitFor({ timeout: 180_000 });
    // The capacity the contract declared on chain: the document's (SPEC §9.2).
    assert.match(await page.getByTestId('declared').textContent(), /^1 vCPU, 1 GiB memory, 12 GiB SSD, 0 GiB HDD: /);
    // The first bill may be a few seconds' worth; wait for one that charged something.
    const paid = page.locator('td[data-units]:not([data-units="0"])').first();
    await paid.waitFor({ timeout: 180_000 });
    const paidBlock = Number(await paid.locator('xpath=..').locator('td').first().textContent());
    const paidUnits = await paid.getAttribute('data-units');
    log(`a bill in the table: block ${paidBlock}, ${paidUnits} units`);
    const { bills } = grid(g.rpc, ['contract', 'bills', String(contractId), '--blocks', '1000'], { key: '//Charlie' });
    const onChainBill = bills.find((b) => b.block === paidBlock);
    assert.ok(onChainBill, `the chain has the bill of block ${paidBlock}: ${JSON.stringify(bills)}`);
    assert.equal(String(onChainBill.amount), paidUnits);
    const shownTotal = await page.getByTestId('spent').textContent();
    log('spent shown:', shownTotal);
    await page.getByRole('button', { name: 'Decrypt the deployment' }).click();
    await page.getByTestId('decrypted').waitFor();
    assert.match(await page.getByTestId('decrypted').textContent(), /nginx:1\.27/);
    await shot('5-my-contract-bills-decrypted');

    // Update: two vCPUs instead of one, in the deploy form filled from what the node runs; the
    // page numbers the versions, signs, asks the node, encrypts, and waits.
    await page.getByRole('button', { name: 'Update', exact: true }).click();
    await page.getByTestId('update-panel').locator('#cpu').fill('2');
    await page.locator('[data-testid="sign-update"]:not([disabled])').click({ timeout: 30_000 });
    await page.getByTestId('detail-message')
      .filter({ hasText: `Contract ${contractId} is updated: node 1 runs version 1 of its deployment.` })
      .waitFor({ timeout: 120_000 });
    await page.getByTestId('declared').filter({ hasText: /^2 vCPU, / }).waitFor({ timeout: 30_000 });
    const updated = grid(g.rpc, ['contract', 'show', String(contractId), '--decrypt'], { key: '//Charlie' });
    assert.equal(updated.contract.version, 2);
    assert.equal(updated.deployment.version, 1);
    assert.equal(updated.deployment.workloads[0].data.cpu, 2);
    assert.equal(updated.deployment.workloads[0].version, 1);
    assert.equal(updated.deployment.workloads[1].version, 0, 'the unchanged disk keeps its version');
    assert.equal(grid(g.rpc, ['contract', 'show', String(contractId)]).state, 'deployed');
    await shot('5b-updated');
    log('updated to version 1 with 2 vCPUs');

    await page.locator(`tr[data-contract="${cliContract}"]`).getByRole('button', { name: 'Open' }).click();
    await page.getByRole('button', { name: 'Decrypt the deployment' }).click();
    await page.getByTestId('decrypted').filter({ hasText: 'redis:7' }).waitFor();
    log('the browser decrypted the contract grid created');
    await page.getByRole('button', { name: 'Cancel the contract' }).click();
    await page.getByTestId('detail-message').waitFor({ timeout: 60_000 });

    // Cancel the deployed one: gone from the chain, its IP free again.
    await page.locator(`tr[data-contract="${contractId}"]`).getByRole('button', { name: 'Open' }).click();
    await page.getByRole('button', { name: 'Cancel the contract' }).click();
    await page.getByTestId('detail-message')
      .filter({ hasText: `Contract ${contractId} is cancelled` })
      .waitFor({ timeout: 60_000 });
    await shot('6-cancelled');
    assert.equal(gridFails(g.rpc, ['contract', 'show', String(contractId)]).status, 1);
    assert.equal(gridFails(g.rpc, ['contract', 'show', String(cliContract)]).status, 1);
    assert.ok(grid(g.rpc, ['farm', 'ips', '1']).every((ip) => ip.contract_id === 0), 'every IP is free again');

    // More vCPUs than the node has free: the page knows it from the chain, says so in words,
    // and offers no sign button; nothing is created.
    await nav('deploy');
    await page.locator('#node').fill('1');
    await page.locator('#cpu').fill('64');
    await page.locator('#vm-name').fill('toobig');
    const before = grid(g.rpc, ['contract', 'list'], { key: '//Charlie' });
    await page.getByTestId('form-error').filter({ hasText: /Node 1 has \d+ free vCPUs; this asks for 64 vCPUs\./ }).waitFor({ timeout: 30_000 });
    assert.ok(await page.getByTestId('deploy').isDisabled(), 'no sign button');
    await shot('7-refused-before-signing');
    assert.deepEqual(grid(g.rpc, ['contract', 'list'], { key: '//Charlie' }), before);

    // A form error is named before anything is signed.
    await page.locator('#cpu').fill('0');
    assert.match(await page.getByTestId('form-error').textContent(), /vCPUs: must be at least 1\./);
    await page.locator('#cpu').fill('1');
    await page.locator('#memory').fill('0.1');
    assert.match(await page.getByTestId('form-error').textContent(), /Memory: must be at least 0\.25 GiB\./);

    // Co-signing: Charlie asks Dave to co-sign; Dave opens the link, signs, passes it back; Charlie deploys.
    // Charlie came through a link offering an attacker's chain and leaves the offer unanswered: the
    // link he passes on carries no endpoint, his or the attacker's.
    if (gridFailsWith(g.rpc, ['twin', 'show'], { key: '//Dave' }) !== null) {
      grid(g.rpc, ['twin', 'create'], { key: '//Dave' });
    }
    const daveTwin = grid(g.rpc, ['twin', 'show'], { key: '//Dave' }).id;
    await page.goto(`${origin}?rpc=ws://attacker:9944&indexer=http://attacker:4350`);
    await page.getByTestId('endpoint-offer').waitFor();
    await signIn('Charlie');
    await nav('deploy');
    const runs = {
      image: 'docker.io/library/nginx:1.27',
      entrypoint: `/bin/sh -c "nginx -g 'daemon off;'"`,
      env: ['API_TOKEN=s3cret-for-dave', 'TZ=UTC'],
    };
    await page.locator('#node').fill('1');
    await page.locator('#vm-name').fill('shared');
    await page.locator('#entrypoint').fill(runs.entrypoint);
    await page.locator('#env').fill(runs.env.join('\n'));
    await page.locator('#public-ip').uncheck();
    await page.locator('#cosigners').fill(`${daveTwin} 1 yes`);
    await page.locator('#weight-required').fill('2');
    await page.getByTestId('deploy').click();
    const link = await page.getByTestId('share-link').getAttribute('href');
    assertLinkCarriesNoEndpoint(link, origin);
    assert.equal(await page.getByTestId('offer-rpc').textContent(), 'ws://attacker:9944', 'the offer is still only an offer');
    assert.match(await page.locator('.endpoints summary').textContent(), new RegExp(` at ${g.rpc} `));
    log('the share link carries no endpoint:', link.slice(0, 60), '…');
    await page.goto(link);
    await page.getByTestId('cosign-document').waitFor();
    assert.equal(await page.getByTestId('endpoint-offer').count(), 0, 'the share link offers nothing');
    // Before anything is signed, Dave sees what he would approve: image, command, environment.
    await cosignViewShowsWhatRuns(page, runs);
    await page.getByTestId('verdict').filter({ hasText: /RequiredSignerMissing: twin \d+ must sign/ }).waitFor();
    await shot('8a-cosign-view');
    await signIn('Dave');
    await nav('cosign');
    await page.getByRole('button', { name: 'Add my signature' }).click();
    await page.getByTestId('verdict').filter({ hasText: 'satisfied: weight 2 of 2' }).waitFor();
    assert.equal(await page.getByTestId('signed-by').textContent(), `twin ${charlieTwin}, twin ${daveTwin}`);
    await shot('8-cosigned');
    const signedLink = await page.getByTestId('cosign-link').textContent();
    assertLinkCarriesNoEndpoint(signedLink, origin);
    await page.goto(signedLink);
    await signIn('Charlie');
    await nav('cosign');
    await page.getByRole('button', { name: 'Deploy it' }).click();
    await page.locator('#node').fill('1');
    await page.getByTestId('deploy').click();
    await page.getByTestId('deployed').waitFor({ timeout: 180_000 });
    const shared = Number((await page.getByTestId('deployed').textContent()).match(/Contract (\d+)/)[1]);
    const sharedDoc = grid(g.rpc, ['contract', 'show', String(shared), '--decrypt'], { key: '//Charlie' }).deployment;
    assert.deepEqual(
      sharedDoc.signature_requirement.signatures.map((s) => s.twin_id).sort(),
      [charlieTwin, daveTwin].sort(),
    );
    assert.equal(grid(g.rpc, ['contract', 'show', String(shared)]).state, 'deployed');
    await shot('9-cosigned-deployed');
    log(`co-signed contract ${shared} deployed`);

    // Issue 25: keys in a wallet extension, in browser contexts of their own.
    await walletJourney({ browser, url: g.url, rpc: g.rpc, grid, gridFails, log, shot: shotOf });

    // The whole run under the CSP: nothing the page does was refused, only the test's injected script.
    const unexpected = cspReports.filter((t) => !/^Executing inline (script|event handler) violates/.test(t));
    assert.deepEqual(unexpected, [], 'the page works under its Content-Security-Policy');
    assert.equal(cspReports.length, 2, cspReports.join('\n'));
  } finally {
    await browser.close();
    await g.stop();
  }
  log('dashboard end-to-end: passed; screenshots:');
  for (const p of saved) console.log(`  ${p}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
