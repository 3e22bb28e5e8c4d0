import type { Db } from '@plyr/db';

/**
 * Statements built once per database handle: drizzle then only fills in the values on each call,
 * instead of rebuilding the SQL text (the larger part of a hot query's CPU). Nothing is cached but
 * the statement: every call still reads Postgres.
 */
export function perDatabase<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let statements = built.get(db);
    if (statements === undefined) {
      statements = build(db);
      built.set(db, statements);
    }
    return statements;
  };
}
