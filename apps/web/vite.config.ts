import { defineConfig } from 'vite';

/** The page is static: `VITE_API_URL` (default http://localhost:3000) is baked in at build time. */
export default defineConfig({
  root: import.meta.dirname,
  server: { host: 'localhost', port: 5173, strictPort: true },
  preview: { host: 'localhost', port: 5173, strictPort: true },
  build: { target: 'es2022' },
});
