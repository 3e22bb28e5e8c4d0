import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    // Each file gets its own database and Redis db index (see packages/testing), so files may run
    // in parallel; two workers match the two cores of the CI machines.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['packages/testing/src/global-setup.ts'],
  },
});
