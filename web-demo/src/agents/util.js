// Helpers the demo agents share; plain JavaScript, so the same modules run
// in the page and in the Node worker (web-demo/worker.mjs).

/** Waits `ms`; rejects with the signal's reason when the work is taken back. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', stop); resolve(); }, ms);
    function stop() { clearTimeout(timer); reject(signal.reason); }
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** A small seeded generator (mulberry32): the same task payload gives the same data. */
export function seeded(seed) {
  let a = (typeof seed === 'number' ? seed : hash(String(seed ?? 'brolostack'))) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hash(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export const pickWith = (rng, list) => list[Math.floor(rng() * list.length)];

/** Milliseconds per work step: `input.pace` when a task sets it (tests may go faster). */
export function paceOf(input, fallback = 400) {
  const pace = Number(input?.pace);
  return Number.isFinite(pace) && pace >= 0 && pace <= 5000 ? pace : fallback;
}

export const round = (n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
