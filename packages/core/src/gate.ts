import { z } from 'zod';
import type { SupportGate as StoredGate } from '@plyr/db';

/**
 * A track's gate, the one type every layer derives its own from: null is public; `{ type: 'any' }`
 * is open to supporters of the artist on atprotofans. The column holds the non-null part (the
 * database is the layer below core, so core names the type and the schema stores it).
 */
export type SupportGate = StoredGate | null;

/** The gate as a caller may set it; checked against `SupportGate`, so the two cannot drift. */
export const supportGateInput = z.object({ type: z.literal('any') }).nullable() satisfies z.ZodType<SupportGate>;
