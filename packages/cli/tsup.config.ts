import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/plyr.ts'],
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  clean: true,
  // Dependencies (the SDK included) stay imports, installed from the registry next to the CLI.
  dts: false,
});
