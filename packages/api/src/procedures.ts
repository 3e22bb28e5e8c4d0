import type { AnyTRPCProcedure, TRPCProcedureType } from '@trpc/server';
import { appRouter } from './root.js';
import type { Meta, RateLimitGroup } from './trpc.js';

export interface ProcedureInfo {
  type: TRPCProcedureType;
  /** From the procedure's `meta`; `default` when it declares none. */
  rateLimitGroup: RateLimitGroup;
}

/** tRPC procedures are functions; the router record's other values are nested records. */
const isProcedure = (value: unknown): value is AnyTRPCProcedure => typeof value === 'function';

/**
 * Every procedure by its dotted path, walked from the router record as declared (the keys tRPC's
 * types expose, `appRouter.tracks.list`), each with the type and meta it was built with.
 */
function catalog(record: object, prefix: string, into: Map<string, ProcedureInfo>): Map<string, ProcedureInfo> {
  for (const [key, value] of Object.entries(record)) {
    const path = `${prefix}${key}`;
    if (isProcedure(value)) {
      const meta = value._def.meta as Meta | undefined;
      into.set(path, { type: value._def.type, rateLimitGroup: meta?.rateLimitGroup ?? 'default' });
    } else if (value && typeof value === 'object') {
      catalog(value, `${path}.`, into);
    }
  }
  return into;
}

const { _def: _routerInternals, createCaller: _caller, ...routerRecord } = appRouter;
const procedures: ReadonlyMap<string, ProcedureInfo> = catalog(routerRecord, '', new Map());

/** What a call to `path` is, for the host's rate limiter; undefined for a path with no procedure. */
export function procedureAt(path: string): ProcedureInfo | undefined {
  return procedures.get(path);
}
