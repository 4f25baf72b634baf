// `cmake --install` into a temporary prefix, then a program outside the tree
// that embeds the server through find_package(brolostack) is configured,
// built and run: its in-process agent completes a task on the embedded server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './support/server.mjs';

const work = mkdtempSync(path.join(os.tmpdir(), 'brolostack-install-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 120000, ...options });
  assert.equal(r.status, 0, `${command} ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

test('the installed package embeds the server through find_package; the binary and headers are in the prefix', () => {
  const prefix = path.join(work, 'prefix');
  run('cmake', ['--install', path.join(repoRoot, 'build'), '--prefix', prefix]);
  assert.ok(existsSync(path.join(prefix, 'include/brolostack/ws_multiagent.hpp')));
  assert.ok(existsSync(path.join(prefix, 'lib/cmake/brolostack/brolostackConfig.cmake')));
  const version = run(path.join(prefix, 'bin/brolostack-server'), ['--version']).stdout.trim();
  const projectVersion = /project\(brolostack VERSION (\S+)/.exec(readFileSync(path.join(repoRoot, 'CMakeLists.txt'), 'utf8'))[1];
  assert.equal(version, `brolostack-server ${projectVersion}`, 'one version, from CMake');

  const consumer = path.join(work, 'consumer');
  run('cmake', ['-S', path.join(repoRoot, 'tests/install/consumer'), '-B', consumer, '-G', 'Ninja',
    `-DCMAKE_PREFIX_PATH=${prefix}`]);
  run('cmake', ['--build', consumer]);
  const embedded = run(path.join(consumer, 'embeds-brolostack'), [], {
    env: { PATH: process.env.PATH, BROLOSTACK_ENV: 'test', STORE: 'memory' }, timeout: 20000,
  });
  const lines = embedded.stdout.trim().split('\n');
  assert.match(lines[0], /^listening on \d+$/);
  assert.deepEqual(lines.slice(1), ['assigned job-1', 'completed']);
});
