import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStateStore } from '@plyr/core/auth';
import { createDb, type DbHandle } from '@plyr/db';
import { createTestDatabase } from '@plyr/testing';
import { createLogger } from '../../src/logger.js';

/**
 * What a failed database statement leaves in the log: its type, code and where it was thrown, never
 * the SQL text, its parameters or a value copied from the input or a row.
 */

let handle: DbHandle;
let dropDatabase: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  handle = await createDb({ url: database.url, max: 2 });
  await handle.db.execute('create table log_probe (name text primary key)');
  await handle.db.execute(`insert into log_probe values ('taken-name-7f3a')`);
});

afterAll(async () => {
  await handle?.close();
  await dropDatabase?.();
});

/** Logs `err` as the API does (`{ err }` at warn) and returns the line. */
function logged(err: unknown): string {
  const lines: string[] = [];
  const logger = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
  logger.warn({ err }, 'something failed');
  return lines.join('');
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected the statement to fail');
}

describe('a failed statement in the log', () => {
  it('a NUL byte from the caller: code and frames, no SQL text, no parameter', async () => {
    const callerBytes = `\u0000\u00ff${'caller-bytes-'.repeat(400)}`;
    // The very lookup an OAuth callback's state used to reach.
    const err = await failure(() => new PostgresStateStore(handle.db, Buffer.alloc(32)).get(callerBytes));
    const line = logged(err);
    expect(line).toContain('query failed (SQL text and parameters withheld)');
    expect(line).toContain('"code":"22021"');
    expect(line).toMatch(/"stack":"[^"]*at /);
    for (const leak of ['select', 'oauth_states', 'Failed query', 'params', 'caller-bytes', '\\u0000']) expect(line).not.toContain(leak);
    expect(line.length).toBeLessThan(4_000);
  });

  it('a unique violation: the constraint named, the value (`detail`) withheld', async () => {
    const err = await failure(() => handle.db.execute(`insert into log_probe values ('taken-name-7f3a')`));
    const line = logged(err);
    expect(line).toContain('"code":"23505"');
    expect(line).toContain('log_probe_pkey');
    expect(line).not.toContain('taken-name-7f3a');
    expect(line).not.toContain('insert into');
  });

  it('any other error: the message as a short escaped excerpt, its causes likewise', () => {
    const err = new Error(`Unknown authorization session "${'\u0000x'.repeat(3000)}"`, { cause: new Error('z'.repeat(5000)) });
    const line = logged(err);
    expect(line.length).toBeLessThan(4_000);
    expect(line).not.toContain('\\u0000x\\u0000x'.repeat(60));
    expect(line).toContain('Unknown authorization session');
    expect(line).toContain('"cause":{');
    expect(line).not.toContain('z'.repeat(200));
  });
});
