import type postgres from 'postgres';

/** Thrown when Postgres has not answered a query in time; callers treat it as "unavailable". */
export class QueryTimeoutError extends Error {
  override name = 'QueryTimeoutError';
  readonly code = 'QUERY_TIMEOUT';
  constructor(ms: number) {
    super(`Postgres did not answer within ${ms} ms`);
  }
}

/**
 * postgres.js has no client-side query timeout: on a connection that stops answering (a hung
 * server, a dropped route) a query waits forever. This wraps `sql.unsafe`, the entry drizzle uses
 * for every statement, so each one fails with QueryTimeoutError after `ms` and is cancelled.
 */
export function withQueryDeadline(sql: postgres.Sql, ms: number): postgres.Sql {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop !== 'unsafe') return Reflect.get(target, prop, receiver);
      return (...args: Parameters<postgres.Sql['unsafe']>) => deadlined(target.unsafe(...args), ms);
    },
  });
}

type Pending = ReturnType<postgres.Sql['unsafe']>;

function deadlined(query: Pending, ms: number): Pending {
  let settled: Promise<unknown> | undefined;
  const run = () =>
    (settled ??= new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        query.cancel();
        reject(new QueryTimeoutError(ms));
      }, ms);
      query.then(
        (rows) => {
          clearTimeout(timer);
          resolve(rows);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    }));
  const wrapper = {
    values() {
      query.values();
      return wrapper;
    },
    then(onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) {
      return run().then(onFulfilled, onRejected);
    },
    catch(onRejected?: (e: unknown) => unknown) {
      return run().catch(onRejected);
    },
    finally(onFinally?: () => void) {
      return run().finally(onFinally);
    },
  };
  return wrapper as unknown as Pending;
}
