import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    // Each file gets its own database and Redis db index (see packages/testing), so files may run
    // in parallel. Three workers on the two-core CI machines: many files spend part of their time
    // waiting (a server process starting, a drain, a cron tick), and with two the cores sat half idle
    // (user + system CPU 269 s over 267 s of wall time); three took a run from 256 s to 183 s.
    pool: 'forks',
    maxWorkers: 3,
    // A worker keeps its loaded modules from one file to the next: every file builds its own app,
    // stores and servers in its hooks, so isolation bought nothing but re-importing the server
    // (measured on 16 server files: import 178 s → 15 s, wall 127 s → 24 s).
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The second compiles the server for the tests that start it as its own process.
    globalSetup: ['packages/testing/src/global-setup.ts', 'apps/server/test/support/server-build.ts'],
  },
});
