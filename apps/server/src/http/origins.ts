import type { Env } from '../env.js';

export type OriginPolicy = (origin: string | undefined) => boolean;

/** Exact origins, or the anchored Pages-preview pattern; nothing else (no suffix or scheme games). */
export function originPolicy(env: Pick<Env, 'corsOrigins' | 'corsOriginRegex'>): OriginPolicy {
  const exact = new Set(env.corsOrigins);
  const pattern = env.corsOriginRegex;
  return (origin) => origin !== undefined && (exact.has(origin) || (pattern?.test(origin) ?? false));
}
