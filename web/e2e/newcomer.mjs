// The dashboard as a newcomer uses it (issue 26), on a local grid with real 6 s Aura blocks and
// GRANDPA finality: each journey is a module of `e2e/newcomer/` and plays one of the bugs the
// newcomer met, asserting what the page shows and, with `grid`, what the chain holds.
//
//   node e2e/newcomer.mjs            # starts its own local grid on spare ports, 6 s blocks
//   node e2e/newcomer.mjs update     # only the journeys whose module is named so
//   GRID_BIN_DIR=/tmp/bins GRID_E2E_PORT_BASE=31200 node e2e/newcomer.mjs
//                                    # binaries built elsewhere; ports 31201 to 31204

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, log, shots, startGrid } from './support.mjs';
import { update } from './newcomer/update.mjs';
import { feedback } from './newcomer/feedback.mjs';

/** The journeys, in order, by module name; each gets `{browser, g, log, shot}` and opens its own pages. */
const journeys = { update, feedback };

async function main() {
  mkdirSync(shots, { recursive: true });
  const nodeArgs = (process.env.GRID_E2E_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const only = process.argv.slice(2);
  const chosen = Object.entries(journeys).filter(([name]) => only.length === 0 || only.includes(name));
  if (chosen.length === 0) throw new Error(`no journey named ${only.join(', ')}: ${Object.keys(journeys).join(', ')}`);
  const base = Number(process.env.GRID_E2E_PORT_BASE ?? 31000);
  const g = await startGrid({ nodeArgs, ports: { rpc: base + 1, indexer: base + 2, agent: base + 3, web: base + 4 } });
  const browser = await launchBrowser();
  const saved = [];
  const shot = async (page, name) => {
    const path = join(shots, `newcomer-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    saved.push(path);
  };
  try {
    for (const [name, journey] of chosen) {
      log(`journey: ${name}`);
      await journey({ browser, g, log, shot });
    }
  } finally {
    await browser.close();
    await g.stop();
  }
  log('newcomer end-to-end: passed; screenshots:');
  for (const p of saved) console.log(`  ${p}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
