import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'es2022',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
  // Only the tRPC client packages are imported at run time; nothing else may be bundled in or left out.
  external: ['@trpc/client', '@trpc/server'],
});
