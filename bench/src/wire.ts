import type { Redis } from 'ioredis';
import type { FaultProxy } from '../../apps/server/test/reliability/support/fault-proxy.js';

/** Statements the servers under test ran on PostgreSQL and commands they sent Redis, so far. */
export interface WireCounts {
  pgStatements: number;
  /** Statements by SQL text. */
  pgByText: Record<string, number>;
  redisCommands: number;
  /** Calls per Redis command name (`get`, `evalsha`, `client|setname`, …). */
  redisByCommand: Record<string, number>;
}

/** Read around a measured run; the difference divided by its requests is what one request costs. */
export interface WireMeter {
  read(): Promise<WireCounts>;
}

/**
 * PostgreSQL from the counting relay every server's DATABASE_URL points at (the one the audio fuzz
 * test uses); Redis from `INFO commandstats`, server-wide, so only the bench's own `INFO` calls are
 * left out: the Redis given to the bench must be the bench's while it runs.
 */
export function wireMeter(postgresRelay: FaultProxy, redis: Redis): WireMeter {
  return {
    async read() {
      const stats = await redis.info('commandstats');
      const redisByCommand: Record<string, number> = {};
      for (const [, command, calls] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        if (command !== 'info') redisByCommand[command!] = Number(calls);
      }
      const redisCommands = Object.values(redisByCommand).reduce((a, b) => a + b, 0);
      const pgByText = Object.fromEntries(postgresRelay.postgresStatementsByText);
      return { pgStatements: postgresRelay.postgresStatements, pgByText, redisCommands, redisByCommand };
    },
  };
}

/** Long SQL is cut to this in the results: enough to tell statements apart. */
const SQL_EXCERPT = 120;

const perRequest = (count: number, sent: number) => (sent > 0 ? Math.round((count / sent) * 1000) / 1000 : null);

/**
 * Per-request figures over a window, to three decimals (background work shows as a fraction), divided
 * by the requests sent: those still in flight when the load stops were served too.
 */
export function wirePerRequest(before: WireCounts, after: WireCounts, sent: number) {
  const byCommand = Object.entries(after.redisByCommand)
    .map(([command, calls]) => [command, perRequest(calls - (before.redisByCommand[command] ?? 0), sent)] as const)
    .filter(([, each]) => each !== null && each > 0)
    .sort((a, b) => b[1]! - a[1]!);
  // Counts, not per-request figures: what runs a few hundred times in a run is what to trace.
  const pgByText = Object.entries(after.pgByText)
    .map(([text, count]) => [text.replace(/\s+/g, ' ').slice(0, SQL_EXCERPT), count - (before.pgByText[text] ?? 0)] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1]);
  return {
    pgStatementsPerRequest: perRequest(after.pgStatements - before.pgStatements, sent),
    pgStatementsInRunByText: Object.fromEntries(pgByText) as Record<string, number>,
    redisCommandsPerRequest: perRequest(after.redisCommands - before.redisCommands, sent),
    redisCommandsPerRequestByName: Object.fromEntries(byCommand) as Record<string, number>,
  };
}
