#!/usr/bin/env node
// `make demo`: builds the React demo (web-demo/, an npm workspace) with Vite
// into the folder the server serves (STATIC_DIR; default build/web-demo).
// Vite names every asset after its content (assets/index-<hash>.js), which
// the server marks cacheable for a year. Skipped when nothing the page is
// built from changed: the app's sources, the package it imports (js/src and
// the generated js/dist entries, compared by content since `make wasm`
// rewrites them) and the lockfile.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(root, process.argv[2] ?? 'build/web-demo');
const stamp = path.join(path.dirname(outDir), `.${path.basename(outDir)}.stamp`);
const force = process.argv.includes('--force');

function files(entry) {
  const full = path.join(root, entry);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full, { withFileTypes: true })
    .filter((d) => d.name !== 'node_modules' && d.name !== 'dist')
    .flatMap((d) => files(path.join(entry, d.name)));
}

const inputs = [
  'web-demo/index.html', 'web-demo/vite.config.js', 'web-demo/package.json', 'web-demo/src',
  'js/src', 'js/package.json', 'js/dist/index.mjs', 'js/dist/react.mjs', 'js/dist/brolostack_core.mjs',
  'package-lock.json',
].flatMap(files).sort();
const hash = createHash('sha256');
for (const file of inputs) hash.update(file).update('\0').update(readFileSync(path.join(root, file))).update('\0');
const digest = `${hash.digest('hex')} ${outDir}`;

if (!force && existsSync(path.join(outDir, 'index.html')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) process.exit(0);

const { build } = await import('vite');
await build({
  root: path.join(root, 'web-demo'),
  logLevel: process.env.VITE_LOG_LEVEL ?? 'warn',
  build: { outDir, emptyOutDir: true },
});
mkdirSync(path.dirname(stamp), { recursive: true });
writeFileSync(stamp, digest);
console.log(`demo: built web-demo into ${path.relative(root, outDir) || outDir}`);
