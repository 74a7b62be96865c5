import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The reference portal's build: `npm run build` runs `vite build --config portal/vite.config.mts`
 * into `portal/dist`, which `npm start` serves (scripts/portal-server.ts). JSX is compiled by
 * Vite's own transformer (React's automatic runtime); the portal reads its settings at run time
 * from `/config.json`, so one build serves every environment.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1024,
  },
  // `npx vite --config portal/vite.config.mts` beside `npm start`: hot reload, with the settings and
  // development tokens of the portal server `npm start` runs.
  server: {
    port: 5173,
    proxy: { '/config.json': 'http://127.0.0.1:4006', '/dev-token': 'http://127.0.0.1:4006' },
  },
});
