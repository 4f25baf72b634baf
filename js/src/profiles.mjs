// Client defaults per environment profile (DESIGN.md's table), and how a
// client finds its environment and its server when the app names neither.
import { pageEndpoint } from '#platform';

export const PROFILES = {
  development: { reconnectionAttempts: 5, queue: true, persist: false, heartbeatInterval: 30000 },
  test: { reconnectionAttempts: 3, queue: false, persist: false, heartbeatInterval: 60000 },
  staging: { reconnectionAttempts: 8, queue: true, persist: true, heartbeatInterval: 30000 },
  production: { reconnectionAttempts: 10, queue: true, persist: true, heartbeatInterval: 15000 },
};

export const DEFAULT_ENDPOINT = 'ws://localhost:3001/ws';

// Each variable is read as the literal `process.env.NAME`: that is the text
// bundlers replace at build time (Vite, webpack and Next.js all define
// process.env.NODE_ENV), so a production build gets the production profile.
// Where nothing replaced it and there is no `process` (a browser), reading
// it throws, and the variable counts as unset.
function brolostackEnvVar() {
  try { return process.env.BROLOSTACK_ENV; } catch { return undefined; }
}
function nodeEnvVar() {
  try { return process.env.NODE_ENV; } catch { return undefined; }
}
function wsUrlVar() {
  try { return process.env.WS_URL; } catch { return undefined; }
}

/** BROLOSTACK_ENV, else NODE_ENV, else development; names outside the table fall back to development. */
export function detectEnvironment() {
  const name = brolostackEnvVar() || nodeEnvVar() || 'development';
  return Object.hasOwn(PROFILES, name) ? name : 'development';
}

/** WS_URL, else the page's own origin at /ws, else the local default server. */
export function defaultEndpoint() {
  return wsUrlVar() || pageEndpoint() || DEFAULT_ENDPOINT;
}
