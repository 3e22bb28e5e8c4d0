import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Tests that start the server as its own process run what `pnpm start` runs: the compiled dist/
 * (see build.mjs). vitest's global setup rebuilds it once per run, so it never lags the source.
 */

const SERVER_DIR = join(import.meta.dirname, '..', '..');

export type ServerEntry = 'main' | 'worker' | 'reconcile-cli';

/** The compiled file of an entry point, to run with `node`. */
export function serverEntry(name: ServerEntry): string {
  const file = join(SERVER_DIR, 'dist', `${name}.mjs`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm --filter @plyr/server build\``);
  return file;
}

export default function buildServer(): void {
  execFileSync(process.execPath, [join(SERVER_DIR, 'build.mjs')], { stdio: 'inherit' });
}
