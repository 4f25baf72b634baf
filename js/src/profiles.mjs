// Client defaults per environment profile (DESIGN.md's table).
export const PROFILES = {
  development: { reconnectionAttempts: 5, queue: true, persist: false, heartbeatInterval: 30000 },
  test: { reconnectionAttempts: 3, queue: false, persist: false, heartbeatInterval: 60000 },
  staging: { reconnectionAttempts: 8, queue: true, persist: true, heartbeatInterval: 30000 },
  production: { reconnectionAttempts: 10, queue: true, persist: true, heartbeatInterval: 15000 },
};

export function detectEnvironment() {
  const env = globalThis.process?.env;
  return env?.BROLOSTACK_ENV || env?.NODE_ENV || 'development';
}
