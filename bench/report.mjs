// What the bench reports share: number formats and the machine a run was on.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function fmtNum(v, digits = 2) { return v == null ? 'n/a' : Number(v).toFixed(digits); }
export function fmtMs(v) { return v == null ? 'n/a' : v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(0); }
/** A share (0.42) as a percentage ("42%"). */
export function fmtPct(v) { return v == null ? 'n/a' : `${Math.round(100 * v)}%`; }
export function fmtRate(v) {
  if (v == null) return 'n/a';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v.toFixed(0);
}

/** CPU model, cores, kernel, Node and memory, with `extra` fields of the bench's own. */
export function machine(extra = {}) {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    kernel: os.release(),
    node: process.version,
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    ...extra,
  };
}
