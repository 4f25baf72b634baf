// No server outlives its app. Every running supervisor is tracked here:
// - on process exit (process.exit(), an uncaught exception, the loop
//   running dry) each child gets SIGTERM, the only thing 'exit' allows
//   (nothing asynchronous runs there); the server then drains and exits;
// - on SIGINT, SIGTERM and SIGHUP each is stopped cleanly (SIGTERM, SIGKILL
//   after its timeout) and then, unless the app listens for that signal
//   itself, the signal is raised again so that Node does what it would have
//   done without us (exit). A second signal while stopping kills at once.
// Node killed with SIGKILL runs none of this: supervisor.mjs asks the
// kernel for that case (setpriv --pdeathsig).
const live = new Set();
let installed = false;
let stopping = null;      // the stop under way, while one is
let beingStopped = [];

async function onSignal(signal) {
  // Decided now, while the app's own `once` listeners (which remove
  // themselves when called) are still registered: ours runs first.
  const appListens = process.listeners(signal).some((listener) => listener !== onSignal);
  if (stopping) {
    for (const proc of beingStopped) proc.signal('SIGKILL');
  } else {
    beingStopped = [...live];
    stopping = Promise.allSettled(beingStopped.map((proc) => proc.stop())).then(() => {
      stopping = null;
      beingStopped = [];
    });
  }
  await stopping;
  if (appListens || process.listeners(signal).some((listener) => listener !== onSignal)) return;
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function install() {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const proc of live) proc.signal('SIGTERM');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.prependListener(signal, onSignal);
}

/** Tracks a supervisor (with `stop()` and `signal(name)`); returns the function that forgets it. */
export function track(proc) {
  install();
  live.add(proc);
  return () => live.delete(proc);
}
