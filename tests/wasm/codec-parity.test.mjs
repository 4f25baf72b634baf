// The native and the WebAssembly builds of the core must encode and decode
// every frame identically: same canonical bytes, same error codes and
// messages. Both run over one corpus (tests/corpus/frames.json plus frames
// generated here), and the answers are compared byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nativeCodec = process.env.BROLOSTACK_CODEC_BIN ?? path.join(repo, 'build/bin/brolostack-codec');
const wasmModule = process.env.BROLOSTACK_WASM_JS ?? path.join(repo, 'build-wasm/wasm-client/brolostack_core.js');

function corpus() {
  const frames = JSON.parse(readFileSync(path.join(repo, 'tests/corpus/frames.json'), 'utf8'));
  // Every prefix of a rich frame: truncated input must fail the same way.
  const rich = frames[1].text;
  for (let i = 0; i < rich.length; i += 1) frames.push({ kind: 'client', text: rich.slice(0, i) });
  // Numbers at the edges of what both builds represent.
  for (const ts of ['0', '-1', '1e308', '-1e-308', '0.1', '123456789012345678901234567890', '9007199254740993']) {
    frames.push({ kind: 'client', text: `{"op":"ping","ts":${ts}}` });
  }
  return frames;
}

function runNative(frames) {
  const input = frames.map((f) => JSON.stringify(f)).join('\n') + '\n';
  const result = spawnSync(nativeCodec, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, `native codec failed: ${result.stderr}`);
  return result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
}

async function runWasm(frames) {
  const createCore = createRequire(import.meta.url)(wasmModule);
  const core = await createCore();
  return frames.map(({ kind, text }) => {
    const r = kind === 'client' ? core.canonicalClientFrame(text) : core.canonicalServerFrame(text);
    return { ok: r.ok, text: r.text, errorCode: r.errorCode, errorMessage: r.errorMessage };
  });
}

test('native and wasm builds agree on every frame of the corpus', async () => {
  const frames = corpus();
  const native = runNative(frames);
  const wasm = await runWasm(frames);
  assert.equal(native.length, frames.length);
  for (let i = 0; i < frames.length; i += 1) {
    assert.deepEqual(wasm[i], native[i], `frame ${i}: ${JSON.stringify(frames[i].text).slice(0, 200)}`);
  }
});

test('the corpus exercises both successes and every failure class', async () => {
  const results = runNative(corpus());
  const codes = new Set(results.filter((r) => !r.ok).map((r) => r.errorCode));
  assert.ok(results.some((r) => r.ok), 'some frames decode');
  for (const code of ['bad_request', 'unknown_op']) assert.ok(codes.has(code), `corpus lacks ${code}`);
});

test('canonical encoding is a fixed point', () => {
  const frames = corpus();
  const first = runNative(frames);
  const again = runNative(first.map((r, i) => ({ kind: frames[i].kind, text: r.text })).filter((f, i) => first[i].ok));
  const canonical = first.filter((r) => r.ok);
  assert.equal(again.length, canonical.length);
  again.forEach((r, i) => assert.equal(r.text, canonical[i].text));
});
