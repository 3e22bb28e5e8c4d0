import { InvalidArgumentError } from 'commander';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

/** An ISO 8601 date and time, normalised to UTC (`2027-01-31T12:00:00.000Z`). */
export function isoDateTime(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('must be an ISO 8601 date or date and time, e.g. 2027-01-31T12:00:00Z');
  }
  return new Date(value).toISOString();
}

/** The gate a track gets: supporters only, optionally opening to everyone at `publicAt`. */
export type Gate = { type: 'any'; publicAt?: string } | null;

export function gateFrom(gated: boolean, publicAt: string | undefined): Gate {
  if (publicAt) return { type: 'any', publicAt };
  return gated ? { type: 'any' } : null;
}
