// What the browser tests share: a local grid started by `scripts/local-grid.sh` on spare ports,
// `grid` (the Rust CLI) to check on chain what the page did, a log with elapsed seconds, and
// Debian's Chromium.

import { execFileSync, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
export const shots = join(here, 'screenshots');
const targetDir = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/gridchain-target');
export const gridBin = join(process.env.GRID_BIN_DIR ?? join(targetDir, 'debug'), 'grid');
const started = Date.now();
export const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s]`, ...a);

/**
 * Start `scripts/local-grid.sh` with `nodeArgs` on the given ports (`{rpc, indexer, agent, web}`)
 * and wait for its dashboard URL. `GRID_E2E_URL` (with `GRID_URL`) uses a grid that already runs.
 */
export async function startGrid({ nodeArgs, ports }) {
  if (process.env.GRID_E2E_URL) {
    return { url: process.env.GRID_E2E_URL, rpc: process.env.GRID_URL, stop: async () => {} };
  }
  const env = {
    ...process.env,
    GRID_RPC_PORT: String(ports.rpc), GRID_INDEXER_PORT: String(ports.indexer),
    GRID_AGENT_PORT: String(ports.agent), GRID_WEB_PORT: String(ports.web),
    GRID_REPORT_INTERVAL: '2',
  };
  const child = spawn('bash', [join(repo, 'scripts/local-grid.sh'), ...nodeArgs], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  let out = '';
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the local grid did not come up in 30 min:\n${out}`)), 30 * 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/Dashboard\s+(\S+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => fail(new Error(`scripts/local-grid.sh exited with ${code}:\n${out}`)));
  });
  log('local grid up:', url);
  return {
    url,
    rpc: `ws://127.0.0.1:${env.GRID_RPC_PORT}`,
    agent: `http://127.0.0.1:${env.GRID_AGENT_PORT}`,
    stop: async () => {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      await new Promise((r) => { child.on('exit', r); setTimeout(r, 10_000); });
    },
  };
}

/** `grid --json …` as a user would run it; returns the parsed JSON, or throws with its stderr. */
export function grid(rpc, args, { key } = {}) {
  const all = ['--url', rpc, '--json', ...(key ? ['--key', key] : []), ...args];
  const out = execFileSync(gridBin, all, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim() ? JSON.parse(out) : null;
}

/** How `grid …` failed (`{status, stderr}`), or `null` when it succeeded. */
export function gridFailsWith(rpc, args, opts) {
  try {
    grid(rpc, args, opts);
    return null;
  } catch (e) {
    return { status: e.status, stderr: String(e.stderr) };
  }
}

/** How `grid …` failed; throws if it succeeded. */
export function gridFails(rpc, args, opts) {
  const failure = gridFailsWith(rpc, args, opts);
  if (failure === null) throw new Error(`grid ${args.join(' ')} succeeded; a failure was expected`);
  return failure;
}

/** Debian's Chromium, headless. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}
