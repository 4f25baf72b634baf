// Loads the WebAssembly core once (one memoized promise for the whole page
// or process). In Node the module comes from dist/; in a browser from a
// global `createBrolostackCore` (a <script> of dist/brolostack_core.js) or
// an explicit loader.
let corePromise = null;

export function loadCore(loader) {
  if (loader) return loader();
  if (!corePromise) {
    corePromise = (async () => {
      if (typeof globalThis.createBrolostackCore === 'function') return globalThis.createBrolostackCore();
      const { createRequire } = await import('node:module');
      const require = createRequire(import.meta.url);
      return require('../dist/brolostack_core.cjs')();
    })();
  }
  return corePromise;
}
