// What the client takes from a browser, a worker or any other runtime that
// is not Node: the wasm core as an ES module that bundlers include as they
// include any import (no global, no script tag, no second file to serve),
// and the runtime's own WebSocket.
import createCore from '../../dist/brolostack_core.mjs';

/** The core, instantiated synchronously (its wasm is inlined); core.mjs does it once. */
export function instantiateCore() {
  const core = {};
  createCore(core);
  return core;
}

/** The WebSocket constructor to use when the app passes none. */
export async function defaultWebSocket() {
  return globalThis.WebSocket ?? null;
}

export const NO_WEBSOCKET_HELP = 'this runtime has no WebSocket: pass one as { WebSocket }';

/** Where a client without `url` connects when WS_URL is not set: the page's own origin. */
export function pageEndpoint() {
  const loc = globalThis.location;
  if (!loc?.host) return null;
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

/**
 * Longest ASCII frame js/src/effects.mjs copies into the core itself
 * instead of calling TextEncoder.encodeInto, whose call costs about as much
 * as copying a few hundred characters in Chromium.
 */
export const ASCII_COPY_MAX = 1024;
