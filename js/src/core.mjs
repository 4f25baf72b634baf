// Loads the WebAssembly core once (one memoized promise for the whole page
// or process). Which build is loaded is the runtime's business: the
// package's `#platform` import resolves to the browser or the Node half.
import { importCore } from '#platform';

let corePromise = null;

/** The core; `loader` replaces the packaged module (tests, custom builds). */
export function loadCore(loader) {
  if (loader) return loader();
  corePromise ??= importCore();
  return corePromise;
}
