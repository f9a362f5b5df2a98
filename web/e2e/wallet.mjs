// Issue 25 in the browser, for `dashboard.mjs`: a user whose keys live in a wallet extension.
// `wallet/extension.js` (bundled here with Vite, injected before the page loads) is a wallet
// built from what extensions are built from; it holds Eve's and Ferdie's dev keys under wallet
// names. The journey: connect it, create both twins with encryption identities made in the page
// (Eve's kept in the browser, Ferdie's only in his saved file), deploy a document Ferdie co-signs,
// update it to "Eve alone" with both signing (the new rule of §9.4; Eve alone is refused first),
// and decrypt on a fresh browser after restoring Eve's identity from her saved file (a wrong file
// refused first). Every result is checked on chain with `grid` and the standard `age` tool.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { hexToU8a, u8aToHex, u8aToString, u8aWrapBytes } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress, sr25519Verify } from '@polkadot/util-crypto';
import { bech32 } from '@scure/base';
import { build } from 'vite';
import { acceptOffer } from './attacks.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WALLET = 'gridchain-test-wallet';
const ACCOUNTS = [{ uri: '//Eve', name: 'Eve (test wallet)' }, { uri: '//Ferdie', name: 'Ferdie (test wallet)' }];

/** The test wallet as one script, for `addInitScript`. */
export async function bundleTestWallet() {
  const out = await build({
    configFile: false, logLevel: 'error', root: join(here, '..'),
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: {
        entry: join(here, 'wallet/extension.js'),
        formats: ['iife'],
        name: 'gridchainTestWallet',
        fileName: 'wallet',
      },
    },
  });
  const [chunk] = (Array.isArray(out) ? out[0] : out).output;
  return `globalThis.__testWalletAccounts = ${JSON.stringify(ACCOUNTS)};\n${chunk.code}`;
}

/** The raw X25519 public key, hex, of an `age1…` recipient. */
const recipientHex = (recipient) => u8aToHex(bech32.fromWords(bech32.decode(recipient).words));

/** Whether `signature` by `address` is over exactly `message` (`signatureVerify` would also take
 * the wrapped form, and so could not tell the two apart). */
const signs = (message, signature, address) => sr25519Verify(message, hexToU8a(signature), decodeAddress(address));

/** The journey; `grid`/`gridFails` run the CLI as `dashboard.mjs` does, `shot(page, name)` saves a screenshot. */
export async function walletJourney({ browser, url, rpc, grid, gridFails, log, shot }) {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const [eve, ferdie] = ACCOUNTS.map((a) => keyring.addFromUri(a.uri).address);
  const work = mkdtempSync(join(tmpdir(), 'grid-wallet-'));
  const script = await bundleTestWallet();
  log(`test wallet bundled: ${(script.length / 1e6).toFixed(1)} MB`);
  const cspReports = [];

  const open = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    await context.addInitScript({ content: script });
    const page = await context.newPage();
    page.on('dialog', (d) => d.accept());
    page.on('pageerror', (e) => log('page error:', e.message));
    page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) cspReports.push(m.text()); });
    await page.goto(url);
    await page.locator('nav').waitFor();
    if (await page.getByTestId('endpoint-offer').isVisible()) await acceptOffer(page);
    await page.getByTestId('page-account').waitFor({ timeout: 60_000 });
    return { context, page };
  };
  const nav = (page, id) => page.click(`nav button[data-page="${id}"]`);
  /** What the wallet was asked, in order. */
  const requests = (page) => page.evaluate(() => globalThis.__testWallet.requests);
  /** Choose a wallet account on the Account page (connecting the wallet if the page has not yet). */
  const use = async (page, address) => {
    await nav(page, 'account');
    const row = page.locator(`[data-testid="wallet-accounts"] tr[data-address="${address}"]`);
    if (!(await row.isVisible())) await page.getByRole('button', { name: /Connect a wallet|Ask the wallets again/ }).click();
    await row.getByRole('button').click();
    await page.getByTestId('address').filter({ hasText: address }).waitFor();
  };
  /** Wait for `done` to show; fail with the page's words if `failed` shows first. */
  const outcome = async (page, done, failed, timeout = 180_000) => {
    const first = await Promise.race([
      page.getByTestId(done).waitFor({ timeout }).then(() => done),
      page.getByTestId(failed).waitFor({ timeout }).then(() => failed),
    ]);
    if (first === failed) throw new Error(`the page shows ${failed}: ${await page.getByTestId(failed).textContent()}`);
  };
  const twinShown = async (page) => {
    await page.getByTestId('twin').filter({ hasText: /^twin \d+$/ }).waitFor({ timeout: 60_000 });
    return Number((await page.getByTestId('twin').textContent()).replace('twin ', ''));
  };
  /** Make the account's identity in the page, save the file it offers, and create the twin. */
  const makeTwin = async (page, address, keep, screenshot) => {
    await page.getByTestId('make-identity').click();
    const identity = await page.getByTestId('fresh-identity-text').textContent();
    if (screenshot) await shot(page, screenshot);
    assert.match(identity, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    assert.ok(
      await page.getByTestId('adopt-identity').isDisabled(),
      'nothing is created before the user says where the identity is kept',
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download-identity').click(),
    ]);
    const file = join(work, download.suggestedFilename());
    await download.saveAs(file);
    assert.ok(readFileSync(file, 'utf8').includes(identity));
    await page.getByTestId(keep ? 'keep-browser' : 'keep-nowhere').check();
    assert.ok(
      await page.getByTestId('adopt-identity').isDisabled(),
      'nothing is created before the user says the identity is saved',
    );
    await page.getByTestId('identity-saved').check();
    await page.getByTestId('adopt-identity').click();
    const twinId = await twinShown(page);
    // Shown once: gone from the page once the twin has its key.
    await page.getByTestId('identity-loaded').waitFor();
    assert.equal(await page.getByTestId('fresh-identity').count(), 0);
    assert.ok(!(await page.content()).includes(identity), 'the identity is no longer in the page');
    // The file is what age-keygen writes: the standard tool reads it, and its key is the twin's `pk` on chain.
    const recipient = execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim();
    assert.equal(await page.getByTestId('recipient').textContent(), recipient);
    const twin = grid(rpc, ['twin', 'show', String(twinId)]);
    assert.equal(twin.pk, recipientHex(recipient), 'the twin published the key of the identity in the saved file');
    assert.equal(u8aToHex(decodeAddress(twin.account)), u8aToHex(decodeAddress(address)));
    const kept = await page.evaluate((a) => localStorage.getItem(`gridchain.age-identity.${a}`), address);
    assert.equal(
      kept,
      keep ? identity : null,
      keep ? 'kept in this browser, as chosen' : 'not kept in this browser, as chosen',
    );
    return { twinId, identity, file };
  };
  /** `grid contract show` and the deployment decrypted from its data by the standard age tool with `identityFile`. */
  const onChain = (contractId, identityFile) => {
    const data = join(work, `contract-${contractId}.age`);
    const contract = grid(rpc, ['contract', 'show', String(contractId), '--data-out', data]);
    const doc = JSON.parse(execFileSync('age', ['-d', '-i', identityFile, data], { encoding: 'utf8' }));
    return { contract, doc };
  };
  /** Each signature of `doc` (hash `hash`) is by `address`es in order, made in the wallet: over
   * the wrapped hash, not the bare one. */
  const signedInWallet = (doc, hash, expected) => {
    assert.deepEqual(doc.signature_requirement.signatures.map((s) => s.twin_id), expected.map((e) => e.twin));
    for (const [i, s] of doc.signature_requirement.signatures.entries()) {
      assert.equal(s.key_type, 'sr25519');
      assert.ok(
        signs(u8aWrapBytes(hexToU8a(hash)), s.signature, expected[i].address),
        `twin ${s.twin_id} signed <Bytes>hash</Bytes>`,
      );
      assert.ok(
        !signs(hexToU8a(hash), s.signature, expected[i].address),
        `twin ${s.twin_id}'s signature is the wallet's, not one over the bare hash`,
      );
    }
  };

  const a = await open();
  const page = a.page;
  try {
    // Phrases are for development, and the page says why; the old "no extension" sentence is gone.
    assert.match(await page.getByTestId('phrase-warning').textContent(), /A phrase typed into a web page is exposed to that page/);
    assert.equal(await page.getByText('cannot be used yet').count(), 0);
    await page.getByRole('button', { name: 'Connect a wallet' }).click();
    await page.getByTestId('wallet-accounts').waitFor();
    const listed = await page.locator('[data-testid="wallet-accounts"] tbody tr')
      .evaluateAll((rows) => rows.map((r) => [r.dataset.address, r.cells[0].textContent, r.cells[1].textContent]));
    assert.deepEqual(listed, [[eve, 'Eve (test wallet)', WALLET], [ferdie, 'Ferdie (test wallet)', WALLET]]);
    assert.deepEqual(await page.evaluate(() => globalThis.__testWallet.origins), ['Gridchain']);

    // Twins: each key made in the page and saved as a file; Eve keeps hers in the browser, Ferdie does not.
    await use(page, eve);
    assert.match(await page.getByTestId('who').textContent(), /^Eve \(test wallet\) \(gridchain-test-wallet\) · no twin yet$/);
    const eveTwin = await makeTwin(page, eve, true, 'w0-wallet-identity-shown-once');
    await shot(page, 'w1-wallet-twin');
    await use(page, ferdie);
    const ferdieTwin = await makeTwin(page, ferdie, false);
    const txs = (await requests(page)).filter((r) => r.kind === 'payload');
    assert.deepEqual(
      txs.map((r) => r.address),
      [eve, ferdie],
      'each twin was created by a transaction the wallet signed',
    );
    log(`wallet twins: Eve ${eveTwin.twinId}, Ferdie ${ferdieTwin.twinId}`);
    // Back to Eve: the page takes her identity from this browser, as it is still her twin's key.
    await use(page, eve);
    await page.getByTestId('identity-where').filter({ hasText: 'kept in this browser' }).waitFor();

    // Deploy with Ferdie as a required co-signer: Eve signs in her wallet and passes the link on.
    await nav(page, 'deploy');
    await page.locator('#node').fill('1');
    await page.locator('#vm-name').fill('walletvm');
    await page.locator('#env').fill('TEAM=wallets');
    await page.locator('#public-ip').uncheck();
    await page.locator('#cosigners').fill(`${ferdieTwin.twinId} 1 yes`);
    await page.locator('#weight-required').fill('2');
    const hash = await page.getByTestId('hash').textContent();
    await page.getByTestId('deploy').click();
    const link = await page.getByTestId('share-link').getAttribute('href');
    const askedToSignHash = (r) => r.kind === 'raw' && r.type === 'bytes' && r.address === eve && r.data === hash;
    assert.ok((await requests(page)).some(askedToSignHash), 'the wallet was asked to sign the deployment hash');

    // Ferdie co-signs in the same wallet.
    await use(page, ferdie);
    await page.goto(link);
    if (!(await page.getByTestId('who').textContent()).startsWith('Ferdie')) await use(page, ferdie);
    await nav(page, 'cosign');
    await page.getByTestId('verdict')
      .filter({ hasText: `RequiredSignerMissing: twin ${ferdieTwin.twinId} must sign` })
      .waitFor();
    await page.getByRole('button', { name: 'Add my signature' }).click();
    await page.getByTestId('verdict').filter({ hasText: 'satisfied: weight 2 of 2' }).waitFor();
    const signedLink = await page.getByTestId('cosign-link').textContent();

    // Eve deploys it; the node takes her wallet-signed request, and confirms on chain.
    await use(page, eve);
    await page.goto(signedLink);
    if (!(await page.getByTestId('who').textContent()).startsWith('Eve')) await use(page, eve);
    await nav(page, 'cosign');
    await page.getByRole('button', { name: 'Deploy it' }).click();
    await page.locator('#node').fill('1');
    await page.getByTestId('deploy').click();
    await outcome(page, 'deployed', 'deploy-error');
    const contractId = Number((await page.getByTestId('deployed').textContent()).match(/Contract (\d+)/)[1]);
    await shot(page, 'w2-wallet-cosigned-deployed');
    const posted = (await requests(page))
      .filter((r) => r.kind === 'raw' && u8aToString(hexToU8a(r.data)).startsWith('POST /v1/deployments\n'));
    assert.deepEqual(posted.map((r) => r.address), [eve], "the deploy request to the node was signed in Eve's wallet");
    const deployed = onChain(contractId, eveTwin.file);
    assert.equal(deployed.contract.state, 'deployed');
    assert.equal(deployed.contract.twin_id, eveTwin.twinId);
    assert.equal(deployed.contract.deployment_hash, hash);
    assert.deepEqual(deployed.doc.signature_requirement.requests, [
      { twin_id: eveTwin.twinId, weight: 1, required: true },
      { twin_id: ferdieTwin.twinId, weight: 1, required: true },
    ]);
    signedInWallet(deployed.doc, hash, [
      { twin: eveTwin.twinId, address: eve },
      { twin: ferdieTwin.twinId, address: ferdie },
    ]);
    // The Rust crate verifies the wallet's signatures too.
    const docFile = join(work, 'deployed.json');
    writeFileSync(docFile, JSON.stringify(deployed.doc));
    const verified = grid(rpc, ['deployment', 'verify', docFile]);
    assert.deepEqual(
      [verified.signers, verified.weight, verified.deployment_hash],
      [[eveTwin.twinId, ferdieTwin.twinId], 2, hash],
    );
    log(`wallet-signed contract ${contractId} deployed; grid verifies its wrapped signatures`);

    // Update to "Eve alone": Eve alone may not drop Ferdie; Eve and Ferdie together may.
    await nav(page, 'contracts');
    await page.locator(`tr[data-contract="${contractId}"]`).getByRole('button', { name: 'Open' }).click();
    await page.getByRole('button', { name: 'Decrypt the deployment' }).click();
    await page.getByTestId('decrypted').filter({ hasText: 'TEAM' }).waitFor();
    await page.getByRole('button', { name: 'Update', exact: true }).click();
    await page.getByTestId('update-panel').locator('#cosigners').fill('');
    // Eve alone satisfies the new requirement, not the running one (Ferdie required): the page
    // offers no "Sign and update", only passing it on, and nothing reaches the chain.
    await page.getByTestId('sign-update').filter({ hasText: 'Sign and pass on to co-signers' }).waitFor();
    await page.getByTestId('changes').locator('tr', { hasText: 'signers' }).waitFor();
    assert.equal(
      grid(rpc, ['contract', 'show', String(contractId)]).version,
      deployed.contract.version,
      'nothing reached the chain',
    );
    await page.locator('[data-testid="sign-update"]:not([disabled])').click({ timeout: 30_000 });
    const updateLink = await page.getByTestId('update-share-link').getAttribute('href');

    // Ferdie reads the running version from the node (a request signed in his wallet) and co-signs.
    await use(page, ferdie);
    await page.goto(updateLink);
    if (!(await page.getByTestId('who').textContent()).startsWith('Ferdie')) await use(page, ferdie);
    await nav(page, 'cosign');
    await page.getByTestId('replaces').filter({ hasText: /^version 0, whose requirement is / }).waitFor({ timeout: 30_000 });
    const read = (await requests(page)).filter((r) => r.kind === 'raw'
      && r.address === ferdie
      && u8aToString(hexToU8a(r.data)).startsWith(`GET /v1/deployments/${contractId}\n`));
    assert.ok(read.length >= 1, "the node answered a read signed in Ferdie's wallet");
    await page.getByTestId('verdict')
      .filter({ hasText: `PreviousRequiredSignerMissing: twin ${ferdieTwin.twinId}` })
      .waitFor();
    await page.getByRole('button', { name: 'Add my signature' }).click();
    await page.getByTestId('verdict').filter({ hasText: 'satisfied: weight 1 of 1' }).waitFor();
    await shot(page, 'w3-wallet-update-cosigned');
    const signedUpdate = await page.getByTestId('cosign-link').textContent();

    await use(page, eve);
    await page.goto(signedUpdate);
    if (!(await page.getByTestId('who').textContent()).startsWith('Eve')) await use(page, eve);
    await nav(page, 'cosign');
    await page.getByRole('button', { name: `Update contract ${contractId}` }).click();
    await outcome(page, 'cosign-updated', 'cosign-error');
    const updated = onChain(contractId, eveTwin.file);
    assert.equal(updated.contract.version, deployed.contract.version + 1);
    assert.equal(updated.contract.state, 'deployed');
    assert.equal(updated.doc.version, 1);
    assert.deepEqual(
      updated.doc.signature_requirement.requests,
      [{ twin_id: eveTwin.twinId, weight: 1, required: true }],
    );
    signedInWallet(updated.doc, updated.contract.deployment_hash, [
      { twin: eveTwin.twinId, address: eve },
      { twin: ferdieTwin.twinId, address: ferdie },
    ]);
    const status = grid(rpc, ['deployment', 'status', String(contractId)], { key: '//Eve' });
    assert.equal(status.deployment.version, 1);
    assert.ok(status.workloads.every((w) => w.state === 'ok'), JSON.stringify(status));
    // Dropped for real: the node no longer lets Ferdie read the deployment.
    assert.match(gridFails(rpc, ['deployment', 'status', String(contractId)], { key: '//Ferdie' }).stderr, /NotAllowed/);
    log(`contract ${contractId} updated to "Eve alone", signed by Eve and Ferdie in their wallet`);

    // Another browser: Eve restores her identity from the saved file (a wrong one refused), and decrypts.
    const b = await open();
    try {
      await use(b.page, eve);
      await b.page.getByTestId('restore-identity').waitFor();
      const wrong = join(work, 'wrong-identity.txt');
      execFileSync('age-keygen', ['-o', wrong], { stdio: 'ignore' });
      await b.page.getByLabel('identity file').setInputFiles(wrong);
      assert.match(await b.page.getByTestId('identity-error').textContent(), /not your twin's .*cannot decrypt your deployments/);
      await b.page.getByLabel('identity file').setInputFiles(eveTwin.file);
      await b.page.getByTestId('identity-where').filter({ hasText: 'loaded for this visit' }).waitFor();
      assert.equal(
        await b.page.evaluate((a) => localStorage.getItem(`gridchain.age-identity.${a}`), eve),
        null,
        'not kept: the user did not ask',
      );
      await nav(b.page, 'contracts');
      await b.page.locator(`tr[data-contract="${contractId}"]`).getByRole('button', { name: 'Open' }).click();
      await b.page.getByRole('button', { name: 'Decrypt the deployment' }).click();
      await b.page.getByTestId('decrypted').waitFor();
      const shown = JSON.parse(await b.page.getByTestId('decrypted').textContent());
      assert.deepEqual(
        { ...shown, contract_id: 0 },
        { ...updated.doc, contract_id: 0 },
        'the page decrypts what age decrypts',
      );
      await shot(b.page, 'w4-wallet-restored-decrypted');
      log('a fresh browser restored Eve\'s identity from her file and decrypted the contract');
    } finally {
      await b.context.close();
    }
    assert.deepEqual(cspReports, [], 'the wallet pages run under the Content-Security-Policy');
  } catch (e) {
    await shot(page, 'w-failed').catch(() => undefined);
    throw e;
  } finally {
    await a.context.close();
  }
}
