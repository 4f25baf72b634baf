// Cluster mode in tests: brolostack-server nodes sharing one redis-server.
import { startServer } from './server.mjs';
import { http, sleep } from './client.mjs';

/**
 * Starts `n` nodes on `redis` (from startRedis), with extra environment,
 * and waits until each is ready (/readyz: its broker connections are up),
 * as a load balancer would before sending it clients.
 */
export async function startNodes(redis, n, env = {}) {
  const nodes = await Promise.all(Array.from({ length: n }, () => startServer({ BROKER: redis.url, ...env })));
  await Promise.all(nodes.map((node) => waitReady(node)));
  return nodes;
}

async function waitReady(node, timeoutMs = 10000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await http(node.httpUrl, 'GET', '/readyz');
    if (res.status === 200) return;
    if (Date.now() > until) throw new Error(`node on ${node.httpUrl} not ready after ${timeoutMs} ms: ${res.status}`);
    await sleep(20);
  }
}
