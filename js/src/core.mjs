// The WebAssembly core, instantiated once for the whole page or process, on
// first use. Instantiation is synchronous (the wasm is inlined and small),
// so code that must answer at once (ARGSProtocolHandler.createMessage) can
// use the core. Which build is loaded is the runtime's business: the
// package's `#platform` import resolves to the browser or the Node half.
import { instantiateCore } from '#platform';

let core = null;

/** The core module, instantiated on first call. */
export function coreModule() {
  core ??= instantiateCore();
  return core;
}

/** The core as a promise; `loader` replaces the packaged module (tests, custom builds). */
export function loadCore(loader) {
  if (loader) return loader();
  return Promise.resolve().then(coreModule);
}
