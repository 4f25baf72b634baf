// A Node process running a BrolostackWSMultiagent, for the tests of how its
// server ends when Node does. Prints {pid, port} (the server's pid, the
// app's port) once up, then ends as argv[2] says: 'wait' (until signalled
// or killed), 'exit' (process.exit(3)), 'throw' (an uncaught exception).
import { createServer } from 'node:http';
import { BrolostackWSMultiagent } from '../../../js/src/server/index.mjs';

const server = createServer();
const multiagent = new BrolostackWSMultiagent(server, {
  serverBin: process.env.BROLOSTACK_SERVER_BIN, environment: 'test', onServerLog: () => {},
});
await multiagent.initialize();
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ pid: multiagent.status().pid, port: server.address().port }));
  const how = process.argv[2];
  if (how === 'exit') setTimeout(() => process.exit(3), 50);
  if (how === 'throw') setTimeout(() => { throw new Error('the app crashed'); }, 50);
});
