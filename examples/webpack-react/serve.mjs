// Serves the production build: `npm run build`, then `npm run serve`
// (PORT and HOST pick where; PORT=0 takes any free port).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./dist/', import.meta.url));
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

async function fileFor(urlPath) {
  const file = path.join(root, path.normalize(decodeURIComponent(urlPath)));
  if (!file.startsWith(root)) return null;
  const info = await stat(file).catch(() => null);
  if (info?.isFile()) return file;
  if (info?.isDirectory()) return fileFor(path.join(urlPath, 'index.html'));
  return path.extname(file) ? null : path.join(root, 'index.html');  // a client-side route
}

const server = createServer(async (req, res) => {
  const file = await fileFor(new URL(req.url, 'http://localhost').pathname).catch(() => null);
  if (!file) return res.writeHead(404).end('not found');
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? 'localhost', () => {
  const { address, port } = server.address();
  console.log(`serving dist/ at http://${address.includes(':') ? `[${address}]` : address}:${port}`);
});
