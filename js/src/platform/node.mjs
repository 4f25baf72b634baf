// What the client takes from Node: the wasm core as a CommonJS module
// (Emscripten's Node build reads its inlined binary without fetch), and
// WebSocket from the runtime when it has one (Node 22 and later), else
// from the `ws` package when the app installed it.
import { createRequire } from 'node:module';

/** The core, instantiated synchronously (its wasm is inlined); core.mjs does it once. */
export function instantiateCore() {
  const core = {};
  createRequire(import.meta.url)('../../dist/brolostack_core.cjs')(core);
  return core;
}

/** The WebSocket constructor to use when the app passes none; null when there is none. */
export async function defaultWebSocket() {
  if (globalThis.WebSocket) return globalThis.WebSocket;
  try {
    const ws = await import('ws');
    return ws.WebSocket ?? ws.default;
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') return null;
    throw err;
  }
}

export const NO_WEBSOCKET_HELP =
  "this Node has no WebSocket: install the 'ws' package (npm i ws) or pass one as { WebSocket }";

/** Node has no page to take an origin from. */
export function pageEndpoint() {
  return null;
}

/**
 * Longest ASCII frame js/src/effects.mjs copies into the core itself
 * instead of calling TextEncoder.encodeInto: none here, where encodeInto
 * is a cheap native call (about 4 times faster than the copy in JS).
 */
export const ASCII_COPY_MAX = 0;
