// Throughput of the whole client path (socket `onmessage` to the app's
// listener) in Node and in Chromium, beside a JSON.parse + emitter baseline
// measured in the same rounds (bench/client_path/scenario.mjs).
//
//   node bench/client_path.mjs [--messages 100000] [--rounds 5] [--no-browser]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BrolostackWSClientside } from '../js/src/index.mjs';
import { measure } from './client_path/scenario.mjs';
import { bundleForBrowser } from '../tests/e2e/support/bundle.mjs';
import { launchBrowser } from '../tests/e2e/support/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { messages: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '5' }, 'no-browser': { type: 'boolean' } },
});
const options = { messages: Number(values.messages), rounds: Number(values.rounds) };

function report(where, r) {
  const k = (x) => `${Math.round(x / 1000)}k`;
  console.log(`client path in ${where} (${r.messages} messages, median of ${r.rounds} rounds): ` +
    `BrolostackWSClientside ${k(r.client)} msg/s, JSON.parse + emitter ${k(r.baseline)} msg/s, ratio ${(r.client / r.baseline).toFixed(2)}`);
}

report('Node', await measure(BrolostackWSClientside, options));

if (!values['no-browser']) {
  const dir = await mkdtemp(path.join(tmpdir(), 'brolostack-client-path-'));
  const browser = await launchBrowser();
  try {
    const entry = path.join(dir, 'entry.mjs');
    const { writeFile, readFile } = await import('node:fs/promises');
    await writeFile(entry, `import { BrolostackWSClientside } from ${JSON.stringify(path.join(here, '../js/src/index.mjs'))};
import { measure } from ${JSON.stringify(path.join(here, 'client_path/scenario.mjs'))};
window.runBench = (options) => measure(BrolostackWSClientside, options);
`);
    await bundleForBrowser(entry, path.join(dir, 'bench.js'));
    const page = await browser.newPage();
    await page.setContent('<!doctype html><title>client path</title>');
    await page.addScriptTag({ content: await readFile(path.join(dir, 'bench.js'), 'utf8'), type: 'module' });
    await page.waitForFunction(() => typeof window.runBench === 'function');
    report('Chromium', await page.evaluate((o) => window.runBench(o), options));
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}
