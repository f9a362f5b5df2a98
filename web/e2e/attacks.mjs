// The dashboard played against by a hostile user (issue 24), for `dashboard.mjs`: a link that
// offers an attacker's chain node and indexer, a page that frames the dashboard, an injected
// inline script. Each check fails on a page without the defence it names.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

/** An attacker's "chain node" and "indexer" on one port: it answers the genesis hash of a chain of
 * its own and an indexer status, and records every request the page sends it. */
export async function startAttackerNode() {
  const genesis = `0x${'bad0'.repeat(16)}`;
  const seen = { rpc: [], graphql: [], connections: 0 };
  const http = createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' };
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); res.end(); return; }
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      seen.graphql.push(body);
      res.writeHead(200, { ...cors, 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { status: { indexedHeight: 666, finalizedHeight: 666 } } }));
    });
  });
  const ws = new WebSocketServer({ server: http });
  ws.on('connection', (socket) => {
    seen.connections += 1;
    socket.on('message', (text) => {
      const { id, method } = JSON.parse(String(text));
      seen.rpc.push(method);
      const reply = method === 'chain_getBlockHash'
        ? { result: genesis }
        : { error: { code: -32601, message: 'Method not found' } };
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, ...reply }));
    });
  });
  await new Promise((ok) => http.listen(0, '127.0.0.1', ok));
  const { port } = http.address();
  return {
    rpc: `ws://127.0.0.1:${port}`,
    indexer: `http://127.0.0.1:${port}`,
    genesis,
    seen,
    stop: () => new Promise((ok) => {
      for (const c of ws.clients) c.terminate();
      ws.close();
      http.close(ok);
      http.closeAllConnections();
    }),
  };
}

/** The genesis hash of the chain at `rpc` (ws://…), asked over the node's HTTP JSON-RPC. */
export async function genesisOf(rpc) {
  const response = await fetch(rpc.replace(/^ws/, 'http'), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_getBlockHash', params: [0] }),
  });
  return (await response.json()).result;
}

/** Accept the endpoints the page's URL offers (the test's own grid, on spare ports). */
export async function acceptOffer(page) {
  const offer = page.getByTestId('endpoint-offer');
  await page.locator('[data-testid="offer-accept"]:not([disabled])').waitFor({ timeout: 30_000 });
  await page.getByTestId('offer-accept').click();
  await offer.waitFor({ state: 'detached' });
  assert.equal(new URL(page.url()).search, '', 'the address bar forgets the accepted offer');
}

const savedEndpoints = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('gridchain.endpoints') ?? 'null'));

/** A link offering the attacker's chain and indexer: shown with both genesis hashes, not used, and
 * declined; the attacker was asked its genesis hash and its status, nothing else. */
export async function linkOfferIsNotApplied(page, { origin, rpc, log, shot }) {
  const attacker = await startAttackerNode();
  try {
    const stored = await savedEndpoints(page);
    const saved = stored ?? { rpc: 'ws://127.0.0.1:9944', indexer: 'http://127.0.0.1:4350' };
    assert.equal(saved.rpc, rpc);
    const offered = `rpc=${encodeURIComponent(attacker.rpc)}&indexer=${encodeURIComponent(attacker.indexer)}`;
    await page.goto(`${origin}?${offered}`);
    await page.getByTestId('endpoint-offer').waitFor();
    assert.equal(await page.getByTestId('offer-rpc').textContent(), attacker.rpc);
    assert.equal(await page.getByTestId('offer-indexer').textContent(), attacker.indexer);
    await page.locator('[data-testid="genesis-comparison"][data-comparison="different chain"]')
      .waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('offer-genesis').textContent(), attacker.genesis);
    assert.equal(await page.getByTestId('known-genesis').textContent(), await genesisOf(rpc));
    await page.getByTestId('offer-indexer-status').filter({ hasText: 'indexed to block 666' }).waitFor();
    log('offer shown:', (await page.getByTestId('genesis-comparison').textContent()));
    // Meanwhile the page works on the saved endpoints.
    await page.getByTestId('page-account').waitFor({ timeout: 60_000 });
    assert.match(
      await page.locator('.endpoints summary').textContent(),
      new RegExp(`^Connected to .* at ${rpc} · indexer ${saved.indexer}$`),
    );
    assert.equal(attacker.seen.connections, 1);
    assert.deepEqual(attacker.seen.rpc, ['chain_getBlockHash']);
    assert.ok(attacker.seen.graphql.every((q) => /status \{ indexedHeight finalizedHeight \}/.test(q)), JSON.stringify(attacker.seen.graphql));
    await shot('0-offered-endpoints');

    await page.getByTestId('offer-decline').click();
    await page.getByTestId('endpoint-offer').waitFor({ state: 'detached' });
    assert.deepEqual(await savedEndpoints(page), stored);
    assert.equal(new URL(page.url()).search, '', 'the address bar forgets the declined offer');
    const connections = attacker.seen.connections;
    await page.reload();
    await page.getByTestId('page-account').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('endpoint-offer').count(), 0, 'a reload does not offer again');
    assert.equal(attacker.seen.connections, connections, 'the declined node is never contacted again');
    assert.deepEqual(attacker.seen.rpc, ['chain_getBlockHash']);
  } finally {
    await attacker.stop();
  }
}

/** The built page carries a strict CSP, and Chromium applies it: an injected inline script does
 * not run and a `securitypolicyviolation` is reported. */
export async function cspBlocksInlineScript(page) {
  const csp = await page.evaluate(
    () => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null,
  );
  assert.ok(csp, 'the page has a Content-Security-Policy meta tag');
  for (const directive of [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "object-src 'none'",
    "base-uri 'none'",
  ]) {
    assert.ok(csp.split('; ').includes(directive), `${directive} in ${csp}`);
  }
  assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'/);
  const result = await page.evaluate(() => new Promise((ok) => {
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true';
    document.body.append(script);
    const handler = document.createElement('div');
    handler.setAttribute('onclick', 'window.__handler = true');
    document.body.append(handler);
    handler.click();
    setTimeout(() => ok({ injected: window.__injected === true, handler: window.__handler === true, violations }), 500);
  }));
  assert.deepEqual(result, { injected: false, handler: false, violations: ['script-src-elem', 'script-src-attr'] });
}

/** A page of another site (another local origin) that frames the dashboard gets no dashboard:
 * the header says `frame-ancestors 'none'`, and where a host sends no such header the page itself
 * refuses to run. */
export async function framedDashboardDoesNotRun(browser, origin) {
  const site = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><iframe src="${origin}" width="800" height="400"></iframe>`);
  });
  await new Promise((ok) => site.listen(0, '127.0.0.1', ok));
  const page = await browser.newPage();
  try {
    const frameText = async () => {
      await page.goto(`http://127.0.0.1:${site.address().port}/`);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      // The dashboard's root once it has rendered anything; a refused frame has no root.
      await frame.waitForFunction(() => {
        const root = document.getElementById('root');
        return !root || root.textContent;
      }, null, { timeout: 60_000 }).catch(() => {});
      return frame.evaluate(() => document.body?.innerText ?? '').catch(() => '');
    };
    assert.doesNotMatch(await frameText(), /Find a node/, 'as served, the frame is refused');
    await page.route(origin, async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['content-security-policy'];
      await route.fulfill({ response, headers });
    });
    const text = await frameText();
    assert.match(text, /does not run inside another page/);
    assert.doesNotMatch(text, /Find a node/);
  } finally {
    await page.close();
    site.close();
    site.closeAllConnections();
  }
}

/** A link the page built: the page's address and a document, no query string, so no endpoint. */
export function assertLinkCarriesNoEndpoint(link, origin) {
  const url = new URL(link);
  assert.equal(url.origin + url.pathname, new URL(origin).origin + new URL(origin).pathname);
  assert.equal(url.search, '', `a link the page built carries no endpoint: ${link}`);
  assert.match(url.hash, /^#doc=[A-Za-z0-9_-]+=*$/);
}

/** The co-sign view shows what the document runs — image, command, environment — in full, above
 * the signature verdict and the button that signs, with nothing folded away. */
export async function cosignViewShowsWhatRuns(page, { image, entrypoint, env }) {
  const runs = page.getByTestId('cosign-workloads');
  await runs.waitFor();
  for (const [id, want] of [
    ['cosign-image', image],
    ['cosign-entrypoint', entrypoint],
    ['cosign-env', env.join('\n')],
  ]) {
    const shown = page.getByTestId(id).first();
    assert.ok(await shown.isVisible(), `${id} is visible`);
    assert.equal(await shown.innerText(), want);
  }
  assert.equal(await page.locator('main details').count(), 0, 'nothing in the co-sign view is folded away');
  const above = await page.evaluate(() => {
    const runs = document.querySelector('[data-testid="cosign-workloads"]');
    const later = [
      document.querySelector('[data-testid="verdict"]'),
      [...document.querySelectorAll('button')].find((b) => b.textContent === 'Add my signature'),
    ];
    return later.every((el) => el
      && (runs.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0
      && runs.getBoundingClientRect().bottom <= el.getBoundingClientRect().top);
  });
  assert.ok(above, 'what it runs comes before the verdict and the button that signs');
}
