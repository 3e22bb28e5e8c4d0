import { z } from 'zod';
import type { SupportGate as StoredGate } from '@plyr/db';

/**
 * A track's gate, the one type every layer derives its own from: null is public; `{ type: 'any' }`
 * is open to supporters of the artist; with `publicAt` (an ISO 8601 instant, UTC) it turns public
 * for everyone at that instant (early access). The column holds the non-null part (the database is
 * the layer below core, so core names the type and the schema stores it).
 */
export type SupportGate = StoredGate | null;

/** How far ahead an early-access release may be set. */
export const MAX_EARLY_ACCESS_YEARS = 2;

/** The latest `publicAt` accepted at `now`: the same date and time, two calendar years on. */
export function latestPublicAt(now: Date): Date {
  const latest = new Date(now);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_EARLY_ACCESS_YEARS);
  return latest;
}

/**
 * The gate in force at `now`: a gate whose `publicAt` has passed is no gate at all, whatever the
 * row still says until the release job has run. A `publicAt` that does not parse keeps the gate
 * (fails closed).
 */
export function gateAt(gate: SupportGate, now: Date): SupportGate {
  if (gate?.publicAt === undefined) return gate;
  return Date.parse(gate.publicAt) <= now.getTime() ? null : gate;
}

/** A zone is required (a bare local time names no instant); stored as UTC, the same instant. A string that is no such date stops here (`abort`), before it is read as one. */
const publicAtInput = z.iso
  .datetime({ offset: true, abort: true, error: 'must be an ISO 8601 date and time with a zone, e.g. 2027-01-31T12:00:00Z' })
  .overwrite((value) => new Date(value).toISOString())
  .refine((value) => Date.parse(value) > Date.now(), { error: 'must be in the future' })
  .refine((value) => Date.parse(value) <= latestPublicAt(new Date()).getTime(), {
    error: `must be at most ${MAX_EARLY_ACCESS_YEARS} years ahead`,
  });

/**
 * The gate as a caller may set it; checked against `SupportGate`, so the two cannot drift. Strict: a
 * gate option this API does not know is refused, never dropped, so an older server cannot silently
 * make a track supporters-only for good.
 */
export const supportGateInput = z
  .strictObject({ type: z.literal('any'), publicAt: publicAtInput.optional() })
  .nullable() satisfies z.ZodType<SupportGate>;

/** The gate as the API returns it (track outputs): what is stored, `publicAt` in UTC. */
export const supportGateOutput = z
  .object({ type: z.literal('any'), publicAt: z.iso.datetime().optional() })
  .nullable() satisfies z.ZodType<SupportGate>;

/** Whether two gates are the same gate (a change of `publicAt` alone is a change). */
export function sameGate(a: SupportGate, b: SupportGate): boolean {
  return (a === null) === (b === null) && a?.type === b?.type && a?.publicAt === b?.publicAt;
}
