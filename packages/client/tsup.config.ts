import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'es2022',
  platform: 'neutral',
  // Bundles the declarations scripts/emit-types.mjs wrote (see there why tsup does not emit them itself).
  dts: { entry: { index: '.types/index.d.ts' } },
  sourcemap: true,
  clean: true,
  // Only the tRPC client packages are imported at run time; nothing else may be bundled in or left out.
  external: ['@trpc/client', '@trpc/server'],
});
