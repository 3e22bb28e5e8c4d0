import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'es2022',
  platform: 'neutral',
  // Bundles the declarations scripts/emit-types.mjs wrote (see there why tsup does not emit them itself).
  // tRPC's declarations name `Disposable` and `AsyncDisposable`; the lib reference brings TypeScript's
  // declarations of them into every consumer's program, so the DOM lib alone (no @types/node) is enough.
  // Written as a banner because the declaration bundler keeps `types` and `path` references only.
  dts: { entry: { index: '.types/index.d.ts' }, banner: '/// <reference lib="esnext.disposable" />' },
  sourcemap: true,
  clean: true,
  // Only the tRPC client packages are imported at run time; nothing else may be bundled in or left out.
  external: ['@trpc/client', '@trpc/server'],
});
