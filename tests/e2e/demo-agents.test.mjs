// The demo's agents dashboard in real Chromium: the three examples
// (pipeline, parallel, hybrid) run to 100% on real JS agents, hosted first
// by the page itself, then by the Node worker `make run` starts
// (web-demo/worker.mjs) for a page that hosts none.
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startServer, stopAllServers, repoRoot } from '../integration/support/server.mjs';
import { launchBrowser } from './support/browser.mjs';
import { assertDemoBuilt, demoSite, ConsoleWatch, openDemo, screenshot, until } from './support/demo.mjs';

const EXAMPLES = ['insights', 'review', 'brief'];
const TALL = { width: 1400, height: 2000 };

let browser;
const workers = new Set();
const contexts = new Set();
let watch = new ConsoleWatch();

async function stopWorker(worker) {
  workers.delete(worker);
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.kill('SIGTERM');
  const timer = setTimeout(() => worker.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

afterEach(async () => {
  // Pages first: a page left open would log its reconnect attempts to a stopped server.
  await Promise.all([...contexts].map((c) => c.close()));
  contexts.clear();
  await Promise.all([...workers].map(stopWorker));
  await stopAllServers();
  watch = new ConsoleWatch();
});
after(async () => {
  await browser?.close();
});

/** Each example's overall and stage bars, as the page shows them (aria-valuenow). */
function readBars(page) {
  return page.evaluate((ids) => Object.fromEntries(ids.map((id) => {
    const card = document.querySelector(`[data-testid="example-${id}"]`);
    const value = (el) => Number(el?.getAttribute('aria-valuenow') ?? NaN);
    return [id, {
      state: card?.dataset.state,
      overall: value(card?.querySelector('[data-testid="task-progress"]')),
      stages: [...(card?.querySelectorAll('[data-testid="stage-progress"]') ?? [])].map(value),
    }];
  })), EXAMPLES);
}

/**
 * Starts every example and watches the bars until all three completed:
 * each overall and stage bar must move through values between 0 and 100
 * (it fills, it does not jump) and end at 100.
 */
async function runAllExamples(page, { midShot } = {}) {
  for (const id of EXAMPLES) await page.getByTestId(`example-${id}`).getByTestId('task-start').click();
  const seen = Object.fromEntries(EXAMPLES.map((id) => [id, { overall: new Set(), stages: [new Set(), new Set(), new Set()] }]));
  let shotTaken = !midShot;
  const deadline = Date.now() + 45000;
  for (;;) {
    const bars = await readBars(page);
    for (const id of EXAMPLES) {
      seen[id].overall.add(bars[id].overall);
      bars[id].stages.forEach((v, i) => seen[id].stages[i].add(v));
    }
    if (!shotTaken && bars.insights.stages[1] > 0 && bars.insights.stages[1] < 100) {
      await screenshot(page, midShot);
      shotTaken = true;
    }
    if (EXAMPLES.every((id) => bars[id].state === 'completed')) break;
    if (Date.now() > deadline) throw new Error(`the examples did not complete: ${JSON.stringify(bars)}`);
    await new Promise((r) => setTimeout(r, 80));
  }
  const bars = await readBars(page);
  for (const id of EXAMPLES) {
    assert.equal(bars[id].overall, 100, `${id}: the whole task at 100%`);
    assert.deepEqual(bars[id].stages, [100, 100, 100], `${id}: every stage at 100%`);
    const between = (set) => [...set].some((v) => v > 0 && v < 100);
    assert.ok(between(seen[id].overall), `${id}: the overall bar filled gradually (${[...seen[id].overall]})`);
    seen[id].stages.forEach((set, i) => assert.ok(between(set), `${id}: stage ${i} filled gradually (${[...set]})`));
    const card = page.getByTestId(`example-${id}`);
    await card.getByTestId('task-result').waitFor({ timeout: 5000 });
    assert.ok((await card.getByTestId('task-output').locator('.output-line').count()) >= 5, `${id}: partial output streamed`);
  }
}

test('every example runs to 100% on the agents the page hosts, each stage bar filling; the result is shown', { timeout: 120_000 }, async () => {
  assertDemoBuilt();
  const server = await startServer({ STATIC_DIR: demoSite });
  browser = await launchBrowser();
  const { page, context } = await openDemo(browser, `${server.httpUrl}/#agents`, 'Ada', { watch, viewport: TALL });
  contexts.add(context);

  // The page registers its nine agents (three per example's session).
  await page.getByTestId('hosting').getByText('9 of 9 online').waitFor({ timeout: 15000 });
  await until(async () => (await page.getByTestId('agent-list').locator('[data-testid="agent"][data-state="idle"]').count()) === 9, 'nine idle agents listed');

  await runAllExamples(page, { midShot: 'agents-running.png' });
  const insights = page.getByTestId('example-insights');
  assert.match(await insights.getByTestId('task-result').innerText(), /Customer support|Delivery speed|Pricing|Product quality|App experience/);
  assert.match(await page.getByTestId('example-review').getByTestId('task-result').innerText(), /Security[\s\S]*Legal[\s\S]*Performance/);
  assert.match(await page.getByTestId('example-brief').getByTestId('task-result').innerText(), /Market[\s\S]*Competitors[\s\S]*Confidence/);
  assert.match(await page.getByTestId('example-brief').getByTestId('task-output').innerText(), /asked market-researcher and fact-checker for help/);
  await until(async () => (await page.getByTestId('agent-list').locator('[data-testid="agent"][data-state="idle"]').count()) === 9, 'all agents idle again');
  await screenshot(page, 'agents-done.png');

  // After a reload the dashboard rebuilds the last runs from the sessions' history.
  await page.reload();
  await page.getByTestId('example-insights').locator('[data-testid="task-result"]').waitFor({ timeout: 10000 });
  assert.equal(await page.getByTestId('example-brief').getAttribute('data-state'), 'completed');

  assert.deepEqual(watch.unexpected(), [], 'no console errors');
});

test('the Node worker hosts the same agents; a page that hosts none runs every example on them', { timeout: 120_000 }, async () => {
  assertDemoBuilt();
  const server = await startServer({ STATIC_DIR: demoSite });
  const worker = spawn(process.execPath, [path.join(repoRoot, 'web-demo', 'worker.mjs')], {
    env: { ...process.env, WS_URL: server.wsUrl, DEMO_WORKER_ID: 'node-e2e' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.add(worker);
  let output = '';
  worker.stdout.on('data', (d) => { output += d; });
  worker.stderr.on('data', (d) => { output += d; });
  await until(() => output.includes('9/9 agents online as node-e2e'), `the worker's agents online (worker said: ${output})`, 15000);

  browser ??= await launchBrowser();
  const { page, context } = await openDemo(browser, `${server.httpUrl}/?agents=off#agents`, 'Bob', { watch, viewport: TALL });
  contexts.add(context);
  await page.getByTestId('hosting').getByText('Not hosting').waitFor({ timeout: 5000 });
  const workerAgents = page.getByTestId('agent-list').locator('[data-testid="agent"][data-agent-id$="@node-e2e"]');
  await until(async () => (await workerAgents.count()) === 9, "the worker's nine agents listed");
  assert.equal(await page.getByTestId('agent-list').locator('[data-testid="agent"]').count(), 9, 'and no others');

  await runAllExamples(page);
  for (const id of EXAMPLES) {
    const hosts = await page.getByTestId(`example-${id}`).locator('.host-tag').allInnerTexts();
    assert.deepEqual(hosts, ['Node worker', 'Node worker', 'Node worker'], `${id} ran on the worker`);
  }
  await screenshot(page, 'agents-worker.png');
  assert.match(output, /insights-\S+: stage 3\/3 \(stage\) -> ml-analyzer@node-e2e/);

  // Stopped with SIGTERM, the worker unregisters its agents: the page sees them go.
  await stopWorker(worker);
  await until(async () => (await workerAgents.count()) === 0, "the worker's agents gone from the list", 10000);

  assert.deepEqual(watch.unexpected(), [], 'no console errors');
});
