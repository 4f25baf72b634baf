// Runs the native load generator (bench/loadgen) once: its stderr goes to
// ours, its stdout is the JSON result. A loader that outlives `timeoutS` is
// killed; one that leaves no result gives {failure} instead.
import { spawn } from 'node:child_process';

/** `track` sees the process as it starts (to stop it on an interrupt). */
export async function runLoader(command, argv, timeoutS, track = (proc) => proc) {
  const proc = track(spawn(command, argv.map(String), { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  const killer = setTimeout(() => proc.kill('SIGKILL'), timeoutS * 1000);
  const code = await new Promise((resolve) => proc.once('exit', (c) => resolve(c)));
  clearTimeout(killer);
  if (err.trim()) process.stderr.write(err);
  try {
    return JSON.parse(out);
  } catch {
    return { failure: `loader exited ${code} without a result (${err.trim().slice(0, 200)})` };
  }
}
