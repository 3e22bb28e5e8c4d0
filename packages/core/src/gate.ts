import { z } from 'zod';
import type { SupportGate as StoredGate } from '@plyr/db';

/**
 * A track's gate, the one type every layer derives its own from: null is public; `{ type: 'any' }`
 * is open to supporters of the artist on atprotofans. The column holds the non-null part (the
 * database is the layer below core, so core names the type and the schema stores it).
 */
export type SupportGate = StoredGate | null;

/**
 * The gate as a caller may set it; checked against `SupportGate`, so the two cannot drift. Strict: a
 * gate option this API does not know (e.g. `publicAt`) is refused, never dropped, so an older server
 * cannot silently make a track supporters-only for good.
 */
export const supportGateInput = z.strictObject({ type: z.literal('any') }).nullable() satisfies z.ZodType<SupportGate>;
