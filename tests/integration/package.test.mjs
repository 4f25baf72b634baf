// `cpack -G DEB` builds the brolostack-server package: the binary, a systemd
// unit that systemd-analyze verifies and rates as hardened, and a settings
// file kept as a conffile; no headers or libraries.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, serverBin } from './support/server.mjs';

const work = mkdtempSync(path.join(os.tmpdir(), 'brolostack-deb-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 120000, ...options });
  assert.equal(r.status, 0, `${command} ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('the .deb holds the binary, a unit that verifies, and the settings file as a conffile', () => {
  run('cpack', ['-G', 'DEB', '-B', path.join(work, 'out')], { cwd: path.join(repoRoot, 'build') });
  const deb = readdirSync(path.join(work, 'out')).find((f) => f.endsWith('.deb'));
  assert.match(deb, /^brolostack-server_\d+\.\d+\.\d+_\w+\.deb$/);
  const debPath = path.join(work, 'out', deb);

  const files = run('dpkg-deb', ['-c', debPath]).split('\n').filter(Boolean).map((l) => l.split(/\s+/).pop())
    .filter((f) => !f.endsWith('/'));
  assert.deepEqual(files.sort(), ['./etc/brolostack/brolostack-server.env', './usr/bin/brolostack-server',
    './usr/lib/systemd/system/brolostack-server.service']);
  const info = run('dpkg-deb', ['-I', debPath]);
  assert.match(info, /^ Package: brolostack-server$/m);
  assert.match(info, /^ Depends: .*libsqlite3/m, 'shared library dependencies come from dpkg-shlibdeps');
  const root = path.join(work, 'root');
  run('dpkg-deb', ['-x', debPath, root]);
  const control = path.join(work, 'control');
  run('dpkg-deb', ['-e', debPath, control]);
  assert.equal(readFileSync(path.join(control, 'conffiles'), 'utf8').trim(), '/etc/brolostack/brolostack-server.env');

  const unit = readFileSync(path.join(root, 'usr/lib/systemd/system/brolostack-server.service'), 'utf8');
  for (const line of ['Type=notify', 'ExecStart=/usr/bin/brolostack-server', 'KillSignal=SIGTERM',
    'RestartPreventExitStatus=78', 'DynamicUser=yes', 'StateDirectory=brolostack', 'Environment=DATA_DIR=/var/lib/brolostack',
    'EnvironmentFile=/etc/brolostack/brolostack-server.env', 'NoNewPrivileges=yes', 'ProtectSystem=strict']) {
    assert.ok(unit.split('\n').includes(line), line);
  }
  const stopSeconds = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)[1]);
  assert.ok(stopSeconds * 1000 > 5000, 'the stop timeout is longer than the default drain');
  // systemd-analyze checks the command exists: the unit as it would run
  // this build's binary instead of /usr/bin's (not installed here).
  const checked = path.join(work, 'brolostack-server.service');
  writeFileSync(checked, unit.replace('ExecStart=/usr/bin/brolostack-server', `ExecStart=${serverBin}`));
  run('systemd-analyze', ['verify', checked]);
  const security = spawnSync('systemd-analyze', ['security', '--offline=yes', checked], { encoding: 'utf8' });
  const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout)?.[1]);
  assert.ok(exposure < 4, `exposure ${exposure}:\n${security.stdout.slice(-400)}`);

  const env = readFileSync(path.join(root, 'etc/brolostack/brolostack-server.env'), 'utf8');
  assert.match(env, /^BROLOSTACK_ENV=production$/m);
});
