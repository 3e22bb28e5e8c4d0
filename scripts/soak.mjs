// The full soak: two API processes and a worker under mixed traffic for SOAK_SECONDS (default 60),
// checking for 5xx, connection growth and RSS growth. `pnpm test` runs the same test over 2,000 requests.
// Usage: pnpm soak [seconds]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const seconds = process.argv[2] ?? process.env.SOAK_SECONDS ?? '60';
if (!/^\d+$/.test(seconds) || Number(seconds) < 5) {
  console.error(`soak: expected a duration in whole seconds (at least 5), got "${seconds}"`);
  process.exit(2);
}
const root = join(import.meta.dirname, '..');
const result = spawnSync(
  'pnpm',
  ['exec', 'vitest', 'run', 'apps/server/test/cluster/cluster.test.ts', '-t', 'soak', '--reporter', 'verbose'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SOAK_SECONDS: seconds } },
);
process.exit(result.status ?? 1);
