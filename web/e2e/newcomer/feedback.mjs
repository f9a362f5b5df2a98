// Issue 26, feedback and sessions, on 6 s blocks: as //Ferdie, a fresh phrase account and a wallet
// account. Each check fails on the page the newcomer met:
// - a reload keeps you signed in (a dev account at once, a wallet account through its wallet, a
//   phrase account after its password; a wrong password refused and the kept account untouched);
// - a new phrase account is told what creating its twin takes, sees the refused attempt marked
//   failed (not "waiting for finality"), is funded from //Alice, then creates its twin;
// - cancel shows its steps at once and ends marked done, and the deposit and rate go with it;
// - with the indexer down, bills and spending are "unknown", never "No bill yet" or 0 TFT;
// - a connection error is a sentence without "undefined";
// - country search ignores case and Enter searches; the favicon answers; nothing is wider than a
//   390-px screen; the contract and document versions are told apart.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import { acceptOffer } from '../attacks.mjs';
import { grid, gridBin, gridFails } from '../support.mjs';
import { bundleTestWallet } from '../wallet.mjs';

const TFT = 10_000_000n;
const PASSWORD = 'a long enough password';
const DEAD_INDEXER = 'http://127.0.0.1:9';
const DEAD_CHAIN = 'ws://127.0.0.1:9999';

export async function feedback({ browser, g, log, shot }) {
  await cryptoWaitReady();
  const api = await ApiPromise.create({ provider: new WsProvider(g.rpc), noInitWarn: true });
  const t = { browser, g, api, log, shot, indexer: new URL(g.url).searchParams.get('indexer') };
  try {
    const ferdie = await open(t);
    try {
      const twin = await devAccountStaysSignedIn(t, ferdie.page);
      const contractId = createContractWithGrid(t, twin);
      await countrySearch(t, ferdie.page);
      await faviconAnswers(t, ferdie);
      await narrowScreen(t, ferdie.context, contractId);
      await versionsToldApart(t, ferdie.page, contractId);
      await indexerDownIsUnknown(t, ferdie.page, contractId);
      await cancelShowsItsSteps(t, ferdie.page, contractId);
      await connectErrorIsASentence(t, ferdie.page);
    } catch (e) {
      await shot(ferdie.page, 'feedback-failed').catch(() => undefined);
      throw e;
    } finally {
      await ferdie.context.close();
    }
    await newPhraseAccount(t);
    await walletAccountReconnects(t);
  } finally {
    await api.disconnect();
  }
}

// ---- the browser ------------------------------------------------------------------------------

/** A fresh browser context on the dashboard, the grid's endpoints accepted; what failed to load
 * (HTTP ≥ 400, console errors) is collected in `failed`. */
async function open({ browser, g, log }, { viewport = { width: 1280, height: 1000 }, script } = {}) {
  const context = await browser.newContext({ viewport });
  if (script) await context.addInitScript({ content: script });
  const page = await context.newPage();
  const failed = [];
  page.on('dialog', (d) => d.accept());
  page.on('pageerror', (e) => log('page error:', e.message));
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
  page.on('console', (m) => { if (m.type() === 'error' && /404|Not Found/.test(m.text())) failed.push(m.text()); });
  await page.goto(g.url);
  await page.locator('nav').waitFor();
  if (await page.getByTestId('endpoint-offer').isVisible()) await acceptOffer(page);
  await page.getByTestId('page-account').waitFor({ timeout: 60_000 });
  return { context, page, failed };
}

const nav = (page, id) => page.click(`nav button[data-page="${id}"]`);
const who = (page, text) => page.getByTestId('who').filter({ hasText: text }).waitFor({ timeout: 30_000 });
const step = (page, id, state) => page.locator(`[data-step="${id}"][data-state="${state}"]`);

/** Change the chain or indexer address in the page's endpoints setting. */
async function setEndpoints(page, { rpc, indexer }) {
  const box = page.locator('details.endpoints');
  await box.locator('summary').click();
  if (rpc) await box.getByLabel('Chain').fill(rpc);
  if (indexer) await box.getByLabel('Indexer').fill(indexer);
  await box.getByRole('button', { name: 'Connect' }).click();
}

const connected = (page, rpc) => page.locator('details.endpoints summary')
  .filter({ hasText: `Connected to ` })
  .filter({ hasText: rpc })
  .waitFor({ timeout: 60_000 });

const openContract = async (page, contractId) => {
  await nav(page, 'contracts');
  await page.locator(`tr[data-contract="${contractId}"]`).getByRole('button', { name: 'Open' }).click();
  await page.getByTestId('contract-detail').locator('h2', { hasText: `Contract ${contractId}` }).waitFor();
};

// ---- //Ferdie -----------------------------------------------------------------------------------

/** Ferdie creates his twin (its step ends done), and a reload keeps him signed in. */
async function devAccountStaysSignedIn({ log, shot }, page) {
  await page.getByTestId('dev-accounts').getByRole('button', { name: 'Ferdie', exact: true }).click();
  await page.getByTestId('account').waitFor();
  await page.getByRole('button', { name: 'Create my twin' }).click();
  await step(page, 'twin', 'running').waitFor({ timeout: 5_000 });
  await step(page, 'twin', 'done').waitFor({ timeout: 90_000 });
  const twin = Number((await page.getByTestId('twin').textContent()).replace('twin ', ''));
  await shot(page, 'feedback-1-ferdie-twin');
  await page.reload();
  await who(page, `//Ferdie · twin ${twin}`);
  assert.match(await page.getByTestId('twin').textContent(), new RegExp(`^twin ${twin}$`));
  log(`//Ferdie created twin ${twin} (its step marked done) and stayed signed in across a reload`);
  return twin;
}

/** A contract of Ferdie's, created with `grid`: the page watches it, bills and cancels it. */
function createContractWithGrid({ g, log }, twin) {
  const file = join(mkdtempSync(join(tmpdir(), 'grid-feedback-')), 'ferdie.json');
  const cli = (args) => execFileSync(gridBin, ['--url', g.rpc, '--key', '//Ferdie', ...args], { stdio: 'ignore' });
  cli([
    'deployment', 'new', '--name', 'feedback', '--image', 'docker.io/library/redis:7', '--cpu', '1', '--memory', '1G',
    '-o', file,
  ]);
  cli(['deployment', 'sign', file]);
  const contractId = grid(g.rpc, ['contract', 'create', '--node', '1', file], { key: '//Ferdie' }).contract_id;
  assert.equal(grid(g.rpc, ['contract', 'show', String(contractId)]).twin_id, twin);
  log(`grid created Ferdie's contract ${contractId}`);
  return contractId;
}

/** "be" finds node 1 in BE; Enter searches. */
async function countrySearch({ log }, page) {
  await nav(page, 'grid');
  await page.getByTestId('node-count').waitFor();
  const country = page.getByLabel('country');
  await country.fill('xx');
  await country.press('Enter');
  await page.getByTestId('node-count').filter({ hasText: /^0 nodes$/ }).waitFor({ timeout: 10_000 });
  await country.fill('be');
  await country.press('Enter');
  await page.getByTestId('node-count').filter({ hasText: /^1 node$/ }).waitFor({ timeout: 10_000 });
  assert.match(await page.locator('tr[data-node="1"]').textContent(), /Ghent, BE/);
  log('country "be" + Enter found node 1 in Ghent, BE ("xx" + Enter found none)');
}

/** The page links an icon that answers, and nothing it loaded failed. */
async function faviconAnswers({ log }, { page, failed }) {
  const href = await page.locator('link[rel="icon"]').getAttribute('href');
  const icon = await page.request.get(new URL(href, page.url()).href);
  assert.equal(icon.status(), 200, `the icon ${href} answers`);
  assert.match(icon.headers()['content-type'], /svg/);
  assert.deepEqual(failed, [], 'nothing the page loaded failed');
  log(`the icon ${href} answers 200; no 404 while loading`);
}

/** At 390 × 844 no page is wider than the screen; tables scroll inside their own box. */
async function narrowScreen({ g, log, shot }, context, contractId) {
  const page = await context.newPage();
  try {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${new URL(g.url).origin}/`);
    await who(page, '//Ferdie');
    const widths = {};
    for (const id of ['account', 'grid', 'deploy', 'contracts', 'cosign']) {
      await nav(page, id);
      await page.getByTestId(`page-${id}`).waitFor();
      if (id === 'contracts') await openContract(page, contractId);
      if (id === 'grid') await page.getByTestId('nodes').waitFor();
      widths[id] = await page.evaluate(() => document.documentElement.scrollWidth);
      if (id === 'contracts') await shot(page, 'feedback-2-390px-contract');
    }
    for (const [id, w] of Object.entries(widths)) {
      assert.ok(w <= 390, `the ${id} page is ${w} px wide on a 390-px screen`);
    }
    log('at 390 px no page scrolls sideways:', JSON.stringify(widths));
  } finally {
    await page.close();
  }
}

/** The chain's contract version and the document's version are labelled apart. */
async function versionsToldApart({ log }, page, contractId) {
  await openContract(page, contractId);
  assert.match(await page.getByTestId('contract-version').textContent(), /^1 \(the chain counts each change/);
  await page.getByRole('button', { name: 'Decrypt the deployment' }).click();
  await page.getByTestId('decrypted').waitFor({ timeout: 30_000 });
  await page.getByTestId('document-version').filter({ hasText: /^0$/ }).waitFor();
  log('contract version 1 (the chain) and document version 0 are labelled apart');
}

/** With a dead indexer, what only the indexer knows is "unknown", not none. */
async function indexerDownIsUnknown({ log, shot, indexer }, page, contractId) {
  await setEndpoints(page, { indexer: DEAD_INDEXER });
  const unknown = `unknown — the indexer at ${DEAD_INDEXER} does not answer`;
  await nav(page, 'contracts');
  await page.getByTestId('spent-in-all').filter({ hasText: unknown }).waitFor({ timeout: 30_000 });
  await openContract(page, contractId);
  await page.getByTestId('bills-unknown').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('spent').textContent(), unknown);
  assert.equal(await page.getByTestId('no-bills').count(), 0, 'never "No bill yet"');
  assert.doesNotMatch(await page.locator('main').textContent(), /spent in all 0\.0000 TFT/);
  await shot(page, 'feedback-3-indexer-down');
  await setEndpoints(page, { indexer });
  await page.getByTestId('page-account').or(page.getByTestId('page-contracts')).waitFor({ timeout: 60_000 });
  log(`with the indexer at ${DEAD_INDEXER} down, spending and bills were "unknown"`);
}

/** Cancel shows its steps at once, ends with them done, and the deposit and rate go. */
async function cancelShowsItsSteps({ g, log, shot }, page, contractId) {
  await openContract(page, contractId);
  assert.match(await page.getByTestId('deposit-held').textContent(), /^[0-9.,]+ TFT$/);
  assert.notEqual(await page.getByTestId('deposit-held').textContent(), '0.0000 TFT');
  await page.getByRole('button', { name: 'Cancel the contract' }).click();
  await page.locator('[data-step="cancel"]').waitFor({ timeout: 2_000 });
  await step(page, 'cancel', 'done').waitFor({ timeout: 90_000 });
  await step(page, 'reload', 'done').waitFor({ timeout: 30_000 });
  await page.getByTestId('detail-message').filter({ hasText: `Contract ${contractId} is cancelled` }).waitFor();
  assert.equal(await page.getByTestId('deposit-held').textContent(), 'none: released when the contract ended');
  assert.equal(await page.getByTestId('rate').textContent(), 'none: the contract has ended');
  assert.doesNotMatch(await page.getByTestId('contract-detail').textContent(), /lasts/);
  assert.equal(gridFails(g.rpc, ['contract', 'show', String(contractId)]).status, 1, 'gone from the chain');
  await shot(page, 'feedback-4-cancelled');
  log(`cancel of contract ${contractId}: steps shown at once, marked done; deposit and rate gone`);
}

/** A chain that does not answer is said in a sentence, without "undefined". */
async function connectErrorIsASentence({ g, log }, page) {
  await setEndpoints(page, { rpc: DEAD_CHAIN });
  const error = page.getByTestId('connect-error');
  await error.waitFor({ timeout: 30_000 });
  const text = await error.textContent();
  // What happened, and what to check next; the WebSocket's error event is no Error and has no message.
  assert.match(text, new RegExp(
    `^Cannot connect to the chain at ${DEAD_CHAIN}: [a-z].+\\. `
      + 'Check that a chain node runs there and that the address is right\\.$',
  ));
  assert.doesNotMatch(text, /undefined|\[object/);
  await setEndpoints(page, { rpc: g.rpc });
  await connected(page, g.rpc);
  log('connection error:', text);
}

// ---- a fresh phrase account ---------------------------------------------------------------------

/** A new phrase account: told what it needs, its refused twin creation marked failed, funded from
 * //Alice, its twin created; kept sealed with a password across a reload. */
async function newPhraseAccount(t) {
  const { page, context } = await open(t);
  try {
    await page.getByRole('button', { name: 'New phrase' }).click();
    const phrase = await page.getByTestId('new-phrase').textContent();
    await page.getByLabel('password to keep the account').fill(PASSWORD);
    await page.getByRole('button', { name: 'Use it' }).click();
    await who(page, 'phrase · no twin yet');
    const address = new Keyring({ type: 'sr25519' }).addFromUri(phrase).address;
    assert.equal(await page.getByTestId('address').textContent(), address);
    await toldWhatItNeeds(t, page, address);
    await refusedStepMarkedFailed(t, page);
    await fundedFromAlice(t, page, address);
    const twin = await twinCreated(t, page, address);
    await keptAcrossReload(t, page, phrase, twin);
  } catch (e) {
    await t.shot(page, 'feedback-phrase-failed').catch(() => undefined);
    throw e;
  } finally {
    await context.close();
  }
}

async function toldWhatItNeeds({ api, log, shot }, page, address) {
  const hint = page.getByTestId('funding-need');
  await hint.waitFor({ timeout: 30_000 });
  const createTwin = api.tx.registry.createTwin(`0x${'00'.repeat(32)}`, null);
  const fee = (await createTwin.paymentInfo(address)).partialFee.toBigInt();
  const existential = api.consts.balances.existentialDeposit.toBigInt();
  assert.equal(await page.getByTestId('funding').getAttribute('data-need'), String(fee + existential));
  assert.match(await hint.textContent(), /^Creating your twin takes [0-9.]+ TFT: the transaction fee \([0-9.]+ TFT\) and the 0\.0100 TFT every account must keep to exist\. This account has 0\.0000 TFT free/);
  await shot(page, 'feedback-5-new-account-needs');
  log('a new account is told it needs', await hint.textContent());
}

async function refusedStepMarkedFailed({ log }, page) {
  await page.getByRole('button', { name: 'Create my twin' }).click();
  const failed = step(page, 'twin', 'failed');
  await failed.waitFor({ timeout: 60_000 });
  const text = await failed.textContent();
  assert.doesNotMatch(text, /waiting for finality/);
  assert.match(text, /^Creating your twin: failed\. .*cannot pay the transaction fee/);
  assert.equal(await page.locator('[data-state="running"]').count(), 0, 'no step is left in progress');
  log('the refused twin creation is marked failed:', text);
}

async function fundedFromAlice({ api, log }, page, address) {
  await page.getByTestId('fund-from-alice').click();
  await step(page, 'fund', 'done').waitFor({ timeout: 90_000 });
  await page.getByTestId('balance').filter({ hasText: /^100\.0000 TFT free/ }).waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="funding"][data-short="0"]').waitFor({ timeout: 30_000 });
  const { data } = await api.query.system.account(address);
  assert.equal(data.free.toBigInt(), 100n * TFT);
  log('funded from //Alice: 100 TFT, shown at once');
}

async function twinCreated({ g, log, shot }, page, address) {
  await page.getByRole('button', { name: 'Create my twin' }).click();
  await step(page, 'twin', 'done').waitFor({ timeout: 90_000 });
  await page.getByTestId('twin').filter({ hasText: /^twin \d+$/ }).waitFor();
  const twin = Number((await page.getByTestId('twin').textContent()).replace('twin ', ''));
  const twinAccount = grid(g.rpc, ['twin', 'show', String(twin)]).account;
  assert.equal(u8aToHex(decodeAddress(twinAccount)), u8aToHex(decodeAddress(address)));
  await shot(page, 'feedback-6-new-account-twin');
  log(`the new account created twin ${twin}`);
  return twin;
}

/** Reload: the kept account asks for its password; a wrong one is refused and changes nothing;
 * the right one signs in; "Forget this account" removes it. Nothing kept holds the phrase. */
async function keptAcrossReload({ log, shot }, page, phrase, twin) {
  const stored = () => page.evaluate(() => localStorage.getItem('gridchain.keystore'));
  const kept = await stored();
  assert.ok(kept, 'the account is kept');
  const everything = await page.evaluate(
    () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
  );
  assert.ok(!everything.includes(phrase), 'the phrase is nowhere in the browser storage');
  await page.reload();
  await page.getByTestId('kept-account').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('who').textContent(), 'not signed in');
  const password = page.getByLabel('password of the kept account');
  await password.fill('not the password');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByTestId('unlock-error').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('unlock-error').textContent(), /^This password does not unlock the account kept in this browser/);
  assert.equal(await stored(), kept, 'a wrong password leaves the kept account as it was');
  await shot(page, 'feedback-7-wrong-password');
  await password.fill(PASSWORD);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await who(page, `phrase · twin ${twin}`);
  await page.getByRole('button', { name: 'Forget this account' }).click();
  assert.equal(await stored(), null);
  await page.reload();
  await page.getByTestId('page-keys').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('kept-account').count(), 0);
  assert.equal(await page.getByTestId('who').textContent(), 'not signed in');
  log('the phrase account: password asked on reload, a wrong one refused, the right one unlocked; '
    + 'forgotten on request');
}

// ---- a wallet account ---------------------------------------------------------------------------

/** A wallet account comes back after a reload, asked through the wallet. */
async function walletAccountReconnects(t) {
  const { page, context } = await open(t, { script: await bundleTestWallet() });
  try {
    const ferdie = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Ferdie').address;
    await page.getByRole('button', { name: 'Connect a wallet' }).click();
    await page.locator(`[data-testid="wallet-accounts"] tr[data-address="${ferdie}"]`).getByRole('button').click();
    await who(page, /^Ferdie \(test wallet\) \(gridchain-test-wallet\) · twin \d+$/);
    await page.reload();
    await who(page, /^Ferdie \(test wallet\) \(gridchain-test-wallet\) · twin \d+$/);
    assert.deepEqual(
      await page.evaluate(() => globalThis.__testWallet.origins),
      ['Gridchain'],
      'asked the wallet again after the reload',
    );
    t.log('a wallet account reconnected after a reload, through its wallet');
  } finally {
    await context.close();
  }
}
