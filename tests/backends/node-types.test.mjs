// The server API's types as a TypeScript backend sees them, from the
// packed package: `brolostack` and `brolostack/server` under
// moduleResolution node16 (import and require) and node (typesVersions).
// (Under `bundler` resolution there is no `node` condition, so the server
// entry is not offered: a backend compiled that way adds
// customConditions: ["node"].)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureTarball, repoRoot, tarball } from './support/apps.mjs';

const run = promisify(execFile);
let dir;

before(async () => {
  await ensureTarball();
  dir = await mkdtemp(path.join(tmpdir(), 'brolostack-server-types-'));
  await mkdir(path.join(dir, 'node_modules', 'brolostack'), { recursive: true });
  await run('tar', ['xzf', tarball, '-C', path.join(dir, 'node_modules', 'brolostack'), '--strip-components=1']);
  await mkdir(path.join(dir, 'node_modules', '@types'), { recursive: true });
  await symlink(path.join(repoRoot, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'));
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'types-check', private: true }));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const USAGE = (from) => `
  import { createServer } from 'node:http';
  ${from}
  const server = createServer();
  const multiagent = new BrolostackWSMultiagent(server, { agents: { maxAgentsPerSession: 50, taskTimeout: 300000 }, environment: 'production' });
  void multiagent.initialize().then(async (m) => {
    const session = m.createSession('ai');
    await session.registerAgent({ id: 'a', type: 't', capabilities: [] }, async (assignment, reporter) => {
      await reporter.progress(50);
      return { input: assignment.input };
    });
    const started = await session.startTask({ collaborationMode: 'sequential', requirements: { agentTypes: ['t'] } });
    started.taskId.toUpperCase();
    (await m.getStats()).completedTasks.toFixed();
    m.on('task-progress', (payload, message) => void [payload, message.sessionId]);
    m.on('ask', async (data: { q: string }, { user, signal }) => ({ a: data.q, user, aborted: signal.aborted }));
    const token: string = m.createToken('user-1', { expiresIn: 600, rooms: ['general'] });
    void token;
  });
  void BrolostackNodeJSIntegration.withExpress({}, { port: 3001, middleware: { enableCors: true } }).then(async (integration) => {
    integration.on('greet', (data) => ({ hello: data }));
    await integration.publish('room', 'event', { x: 1 });
    await integration.listen(3001);
    await integration.shutdown();
  });
  // @ts-expect-error broadcast takes the rooms first
  void multiagent.broadcast('event', {});
`;

test('the server API type-checks under node16 (import and require) and node', async () => {
  await writeFile(path.join(dir, 'main.mts'), USAGE("import { BrolostackWSMultiagent, BrolostackNodeJSIntegration } from 'brolostack';"));
  await writeFile(path.join(dir, 'server.mts'), USAGE("import { BrolostackWSMultiagent, BrolostackNodeJSIntegration } from 'brolostack/server';"));
  await writeFile(path.join(dir, 'main.cts'), USAGE("import { BrolostackWSMultiagent, BrolostackNodeJSIntegration } = require('brolostack');")
    .replace("import { BrolostackWSMultiagent, BrolostackNodeJSIntegration } = require('brolostack');",
      "import brolostack = require('brolostack');\n  const { BrolostackWSMultiagent, BrolostackNodeJSIntegration } = brolostack;"));
  await writeFile(path.join(dir, 'server.cts'), "import server = require('brolostack/server');\nvoid new server.BrolostackWSMultiagent(null).createSession('s').id.toUpperCase();\n");
  await writeFile(path.join(dir, 'legacy.ts'), "import { BrolostackNodeJSIntegration } from 'brolostack/server';\nvoid BrolostackNodeJSIntegration.withKoa({});\n");
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const common = ['--noEmit', '--strict', '--target', 'ES2022', '--skipLibCheck', 'false', '--types', 'node'];
  for (const [mode, args] of [
    ['node16', ['--module', 'node16', '--moduleResolution', 'node16', 'main.mts', 'server.mts', 'main.cts', 'server.cts']],
    ['node', ['--module', 'commonjs', '--moduleResolution', 'node', 'legacy.ts']],
  ]) {
    const result = await run(process.execPath, [tsc, ...common, ...args], { cwd: dir }).catch((err) => err);
    assert.equal(result.code ?? 0, 0, `tsc with moduleResolution ${mode}:\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  }
});
