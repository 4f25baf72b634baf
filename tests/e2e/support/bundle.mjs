// Pages under test import the client as a browser app does, through a
// bundler: esbuild with the browser conditions, so the package's browser
// half (its ES-module wasm core) is what runs.
import { build } from 'esbuild';

/** Bundles `entry` (an ES module) into `outfile` for browsers. */
export async function bundleForBrowser(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    logLevel: 'warning',
  });
}
