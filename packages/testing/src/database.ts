import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createDb } from '@plyr/db';
import { TEST_DATABASE_URL } from './env.js';

const TEMPLATE = 'plyr_test_template';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Recreates the migrated template database that every test database is cloned from. */
export async function createTemplateDatabase(): Promise<void> {
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${TEMPLATE}`);
  } finally {
    await admin.end();
  }
  const handle = await createDb({ url: withDatabase(TEST_DATABASE_URL, TEMPLATE), max: 1 });
  await handle.close();
}

/**
 * A fresh, migrated database of its own for the calling test file, cloned from the template.
 * Returns its URL and a `drop()` to call in `afterAll`.
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `plyr_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(TEST_DATABASE_URL, name),
    async drop() {
      const a = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
