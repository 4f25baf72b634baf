// The embedding example runs the seed's customer-insights pipeline through
// in-process agents and exits once the task completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './support/server.mjs';

test('customer-insights example: three stages in order, one completion with the last stage\'s result', () => {
  const bin = path.join(repoRoot, 'build/bin/customer-insights');
  const run = spawnSync(bin, [], { encoding: 'utf8', timeout: 20000, env: { ...process.env, BROLOSTACK_ENV: 'test' } });
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  const stages = lines.filter((l) => l.includes('] stage')).map((l) => l.match(/\[(.*?)\] stage (\d)\/3/).slice(1));
  assert.deepEqual(stages, [['data-collector', '1'], ['data-processor', '2'], ['ml-analyzer', '3']]);
  // Each stage receives the previous stage's result as its input.
  assert.match(lines.find((l) => l.includes('[data-processor]')), /"records":1250/);
  assert.match(lines.find((l) => l.includes('[ml-analyzer]')), /"records":1180/);
  const progress = lines.filter((l) => l.startsWith('progress')).map((l) => Number(l.split(/\s+/)[1].replace('%', '')));
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'overall progress only rises');
  assert.equal(progress.at(-1), 100);
  const completed = lines.filter((l) => l.startsWith('completed'));
  assert.equal(completed.length, 1);
  assert.match(completed[0], /"clusters":4/);
});
