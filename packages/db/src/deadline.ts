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
 * server, a dropped route) a query waits forever. This wraps the two entries drizzle uses: `unsafe`
 * (every statement outside a transaction, which fails with QueryTimeoutError after `ms` and is
 * cancelled) and `begin` (transactions, see `deadlinedTransaction`).
 */
export function withQueryDeadline(sql: postgres.Sql, ms: number): postgres.Sql {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        return (...args: Parameters<postgres.Sql['unsafe']>) => {
          const query = target.unsafe(...args);
          return deadlined(query, ms, () => void query.cancel());
        };
      }
      if (prop === 'begin') return (...args: unknown[]) => deadlinedTransaction((body) => target.begin(body), args, ms, null);
      return Reflect.get(target, prop, receiver);
    },
  });
}

type Pending = ReturnType<postgres.Sql['unsafe']>;
type TransactionBody = (sql: postgres.TransactionSql) => Promise<unknown>;

/** One transaction's state: once any of its deadlines passed, nothing more of it may reach the server. */
interface TransactionState {
  doomed: boolean;
  /** Dooms the transaction and fails its caller at once (not when a hung ROLLBACK returns). */
  fail(err: Error): void;
}

/**
 * A transaction under deadlines. postgres.js runs it on a connection of its own, issuing BEGIN,
 * COMMIT and ROLLBACK itself, out of reach of a wrapped `unsafe`; so each phase has its deadline:
 * getting a connection and BEGIN, every statement of the body (through a wrapped transaction
 * `sql`), and COMMIT. When one passes, the caller gets QueryTimeoutError at once and the
 * transaction is doomed: later statements are refused unsent and the body's result is never
 * committed, so a server that answers again finds only a ROLLBACK (and one that does not, ends the
 * session after `idle_in_transaction_session_timeout`). The connection stays with the transaction
 * until the server answers or the socket fails (postgres.js offers no handle to drop it sooner).
 * Savepoints nest the same way.
 */
function deadlinedTransaction(
  open: (body: TransactionBody) => Promise<unknown>,
  args: unknown[],
  ms: number,
  parent: TransactionState | null,
): Promise<unknown> {
  const body = args.at(-1) as TransactionBody;
  const openWith = args.length > 1 ? (b: TransactionBody) => (open as (...a: unknown[]) => Promise<unknown>)(...args.slice(0, -1), b) : open;
  return new Promise((resolve, reject) => {
    const state: TransactionState = parent ?? {
      doomed: false,
      fail(err) {
        this.doomed = true;
        reject(err);
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => {
        const err = new QueryTimeoutError(ms);
        state.fail(err);
        reject(err);
      }, ms);
    };
    arm();
    openWith(async (tx) => {
      clearTimeout(timer);
      if (state.doomed) throw new QueryTimeoutError(ms);
      const result = await body(transactionScope(tx, ms, state));
      // The caller was already told it failed: it must not be committed behind its back.
      if (state.doomed) throw new QueryTimeoutError(ms);
      arm();
      return result;
    }).then(
      (result) => {
        clearTimeout(timer);
        resolve(result);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** A transaction's `sql` whose statements (and savepoints) have deadlines and stop once it is doomed. */
function transactionScope(tx: postgres.TransactionSql, ms: number, state: TransactionState): postgres.TransactionSql {
  return new Proxy(tx, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        return (...args: Parameters<postgres.Sql['unsafe']>) => {
          if (state.doomed) return refused(new QueryTimeoutError(ms));
          // No cancel: the statement belongs to the transaction, whose ROLLBACK ends it.
          return deadlined(target.unsafe(...args), ms, () => state.fail(new QueryTimeoutError(ms)));
        };
      }
      if (prop === 'savepoint') {
        return (...args: unknown[]) => deadlinedTransaction((b) => target.savepoint(b), args, ms, state);
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

/** `query` as drizzle awaits it (`then`, or `values()` then `then`), failing with QueryTimeoutError after `ms`. */
function deadlined(query: Pending, ms: number, onTimeout: () => void): Pending {
  let settled: Promise<unknown> | undefined;
  const run = () =>
    (settled ??= new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        onTimeout();
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
  return awaitable(run, () => query.values());
}

/** A statement refused before it is sent (its transaction is doomed). */
function refused(err: Error): Pending {
  const rejected = Promise.reject(err);
  rejected.catch(() => {});
  return awaitable(() => rejected, () => {});
}

function awaitable(run: () => Promise<unknown>, values: () => void): Pending {
  const wrapper = {
    values() {
      values();
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
