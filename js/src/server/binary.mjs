// Where the native server is: the app's `serverBin` option, else the
// BROLOSTACK_SERVER_BIN variable, else `brolostack-server` on PATH. A path
// the app named that does not work is an error at once (falling back to
// another binary would run something the app did not ask for).
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export const BINARY_NAME = 'brolostack-server';

const HOW = `pass { serverBin: '/path/to/${BINARY_NAME}' }, set BROLOSTACK_SERVER_BIN, or put ${BINARY_NAME} on PATH` +
  ` (this repository builds it as build/bin/${BINARY_NAME} with \`make build\`)`;

function problemWith(file) {
  try {
    if (!statSync(file).isFile()) return 'not a file';
    accessSync(file, constants.X_OK);
    return null;
  } catch (err) {
    return err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'not executable' : err.message;
  }
}

/** The absolute path of the server binary; throws an Error naming all three ways to give it. */
export function findServerBinary(option, env = process.env) {
  for (const [given, what] of [[option, 'options.serverBin'], [env.BROLOSTACK_SERVER_BIN, 'BROLOSTACK_SERVER_BIN']]) {
    if (!given) continue;
    const problem = problemWith(given);
    if (problem) throw new Error(`${BINARY_NAME} not usable at ${given} (${what}): ${problem}; ${HOW}`);
    return path.resolve(given);
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, BINARY_NAME);
    if (!problemWith(candidate)) return candidate;
  }
  throw new Error(`${BINARY_NAME} not found: ${HOW}`);
}
