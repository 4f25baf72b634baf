// The demo page as any Vite + React app on the brolostack package: no
// special configuration for the package (its WebAssembly core is an ES
// module with the .wasm inlined). `npm run dev` proxies the WebSocket and
// the HTTP API to a server on localhost:3001 (`make run`).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const server = process.env.BROLOSTACK_SERVER ?? 'http://localhost:3001';

export default defineConfig({
  plugins: [react()],
  build: {
    // `make build` passes --outDir build/web-demo (the server's STATIC_DIR).
    outDir: 'dist',
    emptyOutDir: true,
    // The wasm core is one chunk of about 400 KB before gzip (135 KB
    // after), loaded on its own when the first client is created.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/ws': { target: server.replace(/^http/, 'ws'), ws: true },
      '/api': server,
    },
  },
});
