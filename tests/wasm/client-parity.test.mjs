// The client core decides the same in both builds: one script of app calls
// and server frames (valid, duplicated, broken) runs through the native
// core (build/bin/brolostack-client-replay) and through the wasm build's
// real boundary (the input buffer and the effect tape that
// BrolostackWSClientside uses), and every step's effects must match: the
// frames sent, events, settled requests, which values point into the
// received frame, timers and the persisted queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreModule } from '../../js/src/core.mjs';
import { CoreChannel } from '../../js/src/effects.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const replayBin = process.env.BROLOSTACK_CLIENT_REPLAY_BIN ?? path.join(repo, 'build/bin/brolostack-client-replay');
const SEED = 0.25;

const frame = (f) => JSON.stringify(f);
const message = (offset, event = 'chat', extra = {}) => ({
  op: 'message', room: 'general', event, data: { n: offset }, from: { sid: 'c-2', user: null },
  offset, epoch: 'e1', ts: 1700000000000 + offset, ...extra,
});
const reply = (ref, data) => frame({ op: 'reply', ref, ok: true, data });
const welcome = (sid, rooms = {}) => ({ sid, resumeToken: `t-${sid}`, user: null, v: 1, rooms });
const argsMsg = (id, type, payload) => ({ id, type, timestamp: 1700000000000, sessionId: 's1', payload, metadata: { priority: 'medium', retryCount: 0, requiresAck: false } });

const SCRIPT = [
  { call: 'joinRoom', room: 'general', name: 'General', info: '{"color":"red"}', now: 1000 },
  { call: 'publish', room: 'general', event: 'chat', data: '{"text":"queued"}', echo: false, priority: 1, now: 1000 },
  { call: 'connect', now: 1000 },
  { call: 'opened', now: 1001 },
  { call: 'received', text: reply(1, welcome('c-1')), now: 1002 },
  { call: 'received', text: reply(2, { room: 'general', name: 'General', epoch: 'e1', offset: 1, members: [{ sid: 'c-1', user: null, info: {} }], memberCount: 1, recovered: false, missed: [message(1)] }), now: 1003 },
  { call: 'received', text: reply(3, { room: 'general', offset: 2, epoch: 'e1', duplicate: false }), now: 1004 },
  { call: 'received', text: frame(message(2)), now: 1005 },
  { call: 'received', text: frame(message(3)), now: 1006 },
  { call: 'received', text: frame(message(4, 'error')), now: 1007 },
  { call: 'received', text: frame(message(3)), now: 1008 },
  { call: 'received', text: frame({ op: 'presence', room: 'general', action: 'join', member: { sid: 'c-3', user: 'u3', info: { a: 1 } }, memberCount: 2 }), now: 1009 },
  { call: 'received', text: frame({ op: 'args', msg: argsMsg('a1', 'TASK_ASSIGN', { taskId: 't1' }) }), now: 1010 },
  { call: 'received', text: frame({ op: 'error', error: { code: 'rate_limited', message: 'slow down', details: {} }, op_of: 'publish' }), now: 1011 },
  { call: 'received', text: frame({ op: 'expiring', inMs: 60000 }), now: 1012 },
  { call: 'received', text: frame({ op: 'pong', ts: 1002, serverTs: 5 }), now: 1020 },
  { call: 'received', text: 'not json', now: 1021 },
  { call: 'received', text: frame({ op: 'message', room: 5, offset: 'x' }), now: 1022 },
  { call: 'received', text: frame({ op: 'newer-op', x: 1 }), now: 1023 },
  { call: 'send', event: 'start-task', data: '{"taskId":"t9"}', priority: 2, now: 1030 },
  { call: 'received', text: reply(4, { taskId: 't9', queued: true }), now: 1031 },
  { call: 'history', room: 'general', limit: 10, now: 1032 },
  { call: 'members', room: 'general', now: 1033 },
  { call: 'received', text: frame({ op: 'reply', ref: 6, ok: false, error: { code: 'not_found', message: 'no such room', details: {} } }), now: 1034 },
  { call: 'publish', room: 'general', event: 'chat', data: '{"text":"unanswered"}', echo: true, priority: 3, now: 1040 },
  { call: 'tick', now: 20000 },
  { call: 'queueSnapshot' },
  { call: 'closed', code: 1006, reason: 'gone', now: 20001 },
  { call: 'tick', now: 60000 },
  { call: 'opened', now: 60001 },
  { call: 'received', text: reply(8, welcome('c-2', { general: { recovered: false, epoch: 'e1', offset: 6, missed: [message(4), message(5), message(6, 'note')] } })), now: 60002 },
  { call: 'restoreQueue', snapshot: '{"rooms":{},"messages":[{"op":"send","fields":"\\"event\\":\\"custom\\",\\"data\\":{},\\"mid\\":\\"m-old\\"","mid":"m-old"}]}', now: 60003 },
  { call: 'restoreQueue', snapshot: '{"messages":[{"frame":{"op":"nope"},"mid":"m"}]}', now: 60004 },
  { call: 'refreshToken', token: 'new-token', now: 60005 },
  { call: 'leaveRoom', room: 'general', now: 60006 },
  { call: 'closed', code: 4001, reason: 'unauthorized', now: 60007 },
  { call: 'disconnect', now: 60008 },
];

function runNative() {
  const result = spawnSync(replayBin, [String(SEED)], { input: SCRIPT.map((s) => JSON.stringify(s)).join('\n') + '\n', encoding: 'utf8' });
  assert.equal(result.status, 0, `client replay failed: ${result.stderr}`);
  return result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
}

function runWasm() {
  const core = coreModule();
  const client = new core.WasmClient(JSON.stringify({ heartbeatInterval: 1000 }), SEED);
  const channel = new CoreChannel(core, client);
  try {
    return SCRIPT.map((s) => {
      let id = 0;
      const out = {};
      switch (s.call) {
        case 'connect': id = client.connect(s.now); break;
        case 'disconnect': client.disconnect(s.now); break;
        case 'opened': client.opened(s.now); break;
        case 'tick': client.tick(s.now); break;
        case 'received': channel.feed(s.text, s.now); break;
        case 'closed': client.closed(s.code, s.reason, s.now); break;
        case 'joinRoom': id = client.joinRoom(s.room, s.name, s.info, s.now); break;
        case 'leaveRoom': id = client.leaveRoom(s.room, s.now); break;
        case 'publish': id = client.publish(s.room, s.event, s.data, s.echo, s.priority, s.now); break;
        case 'send': id = client.send(s.event, s.data, s.priority, s.now); break;
        case 'history': id = client.history(s.room, s.limit, s.now); break;
        case 'members': id = client.members(s.room, s.now); break;
        case 'refreshToken': id = client.refreshToken(s.token, s.now); break;
        case 'restoreQueue': out.restored = client.restoreQueue(s.snapshot, s.now); break;
        case 'queueSnapshot': out.snapshot = client.queueSnapshot(); client.tick(0); break;
        default: throw new Error(`unknown step ${s.call}`);
      }
      // A snapshot step makes no effects: the tick(0) above leaves none on the tape either.
      const effects = s.call === 'queueSnapshot' ? [] : channel.records();
      // The client shell schedules its timer from the tape's copy of the wake-up.
      assert.equal(channel.nextWakeAt(), client.nextWakeAt(), `step ${s.call}: the tape's wake-up is the core's`);
      return { id, effects, state: client.state(), nextWakeAt: client.nextWakeAt(), queueVersion: client.queueVersion(), ...out };
    });
  } finally {
    client.delete();
  }
}

test('the native and the wasm client core take every step of a session the same way', () => {
  const native = runNative();
  const wasm = runWasm();
  assert.equal(native.length, SCRIPT.length);
  for (let i = 0; i < SCRIPT.length; i += 1) {
    assert.deepEqual(wasm[i], native[i], `step ${i} (${SCRIPT[i].call}) differs`);
  }
});

test('the script reaches what it is meant to compare', () => {
  const steps = runNative();
  const effects = steps.flatMap((s) => s.effects);
  const emitted = (name) => effects.filter((e) => e.kind === 3 && e.text === name);
  // Live messages point into their frame; recovered ones come as JSON.
  assert.ok(emitted('chat').some((e) => e.data === 3 && e.extra === 2), 'a live message refers to its frame');
  assert.ok(emitted('note').some((e) => e.data === 1 && e.dataJson === '{"n":6}'), 'a recovered message carries its data');
  // 1 missed on join, 3 and 4 live (2 is our own, 3 again a duplicate), 5 and 6 recovered (4 again a duplicate).
  assert.equal(emitted('message').length, 5);
  for (const name of ['user-joined', 'task-assign', 'error', 'token-expiring', 'latency-updated', 'reconnected', 'room-joined', 'recovery-failed']) {
    assert.ok(emitted(name).length > 0, `the script makes ${name}`);
  }
  assert.ok(effects.some((e) => e.kind === 5 && e.text === 'not_found'), 'a request is rejected with the server\'s code');
  assert.ok(steps.some((s) => s.restored === true) && steps.some((s) => s.restored === false), 'good and bad snapshots');
  assert.ok(steps.some((s) => s.snapshot?.includes('"frame"')), 'the queue is snapshotted');
});
