// Builds the generated half of the npm package `brolostack` into js/dist
// (next to the wasm core the Emscripten build puts there): the CommonJS
// entry, and `brolostack/react` from react/src in both formats, with their
// types. The ESM entry is js/src itself.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'js', 'dist');
const at = (...parts) => path.join(root, ...parts);

const common = { bundle: true, platform: 'node', target: 'node18', logLevel: 'warning', legalComments: 'none' };
// In CommonJS there is no import.meta: the core loader finds dist/ from the file's own URL.
const importMetaUrl = {
  define: { 'import.meta.url': '__brolostack_module_url' },
  banner: { js: "const __brolostack_module_url = require('node:url').pathToFileURL(__filename).href;" },
};

await mkdir(dist, { recursive: true });
await Promise.all([
  build({ ...common, ...importMetaUrl, entryPoints: [at('js/src/index.mjs')], format: 'cjs', outfile: path.join(dist, 'index.cjs') }),
  build({ ...common, entryPoints: [at('react/src/index.mjs')], format: 'esm', external: ['react', 'brolostack'], outfile: path.join(dist, 'react.mjs') }),
  build({ ...common, entryPoints: [at('react/src/index.mjs')], format: 'cjs', external: ['react', 'brolostack'], outfile: path.join(dist, 'react.cjs') }),
  copyFile(at('js/src/index.d.mts'), path.join(dist, 'index.d.cts')),
  copyFile(at('react/src/index.d.mts'), path.join(dist, 'react.d.mts')),
  copyFile(at('react/src/index.d.mts'), path.join(dist, 'react.d.cts')),
]);
