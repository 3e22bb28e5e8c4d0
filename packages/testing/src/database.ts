import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createDb } from '@plyr/db';
import { TEST_DATABASE_URL } from './env.js';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates the migrated template database that every test database of a run is cloned from. */
export async function createTemplateDatabase(name: string): Promise<void> {
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const handle = await createDb({ url: withDatabase(TEST_DATABASE_URL, name), max: 1 });
  await handle.close();
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

let ownTemplate: Promise<string> | undefined;

/** The run's template (from vitest's global setup), or one made for this process outside vitest (bench, scripts). */
function templateDatabase(): Promise<string> {
  try {
    return Promise.resolve(inject('plyrTemplateDatabase'));
  } catch {
    ownTemplate ??= (async () => {
      const name = `plyr_test_template_${randomBytes(4).toString('hex')}`;
      await createTemplateDatabase(name);
      process.once('beforeExit', () => void dropDatabase(name));
      return name;
    })();
    return ownTemplate;
  }
}

/**
 * A fresh, migrated database of its own for the calling test file, cloned from the template.
 * Returns its URL and a `drop()` to call in `afterAll`.
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `plyr_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${await templateDatabase()}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(TEST_DATABASE_URL, name),
    drop: () => dropDatabase(name),
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Name of this run's migrated template database (set by global-setup.ts). */
    plyrTemplateDatabase: string;
  }
}
