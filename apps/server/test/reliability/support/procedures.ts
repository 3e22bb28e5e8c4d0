import type { AnyTRPCProcedure } from '@trpc/server';
import { appRouter } from '@plyr/api';

export interface ProcedureInfo {
  path: string;
  type: 'query' | 'mutation';
  /** Top-level fields of its input object (empty when it takes none or not an object). */
  fields: string[];
  hasInput: boolean;
}

interface ZodLike {
  _zod?: { def: { type: string; innerType?: ZodLike; in?: ZodLike; shape?: Record<string, unknown> } };
}

/** The object fields a zod input accepts, looking through default/optional/nullable/pipe wrappers. */
function fieldsOf(schema: unknown): string[] {
  let current = schema as ZodLike | undefined;
  for (let depth = 0; current?._zod && depth < 10; depth++) {
    const def = current._zod.def;
    if (def.type === 'object') return Object.keys(def.shape ?? {});
    current = def.innerType ?? def.in;
  }
  return [];
}

/** Every procedure of the live router, read from the router itself so new ones are covered with no edit here. */
export function listProcedures(): ProcedureInfo[] {
  const procedures = appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>;
  return Object.entries(procedures)
    .map(([path, procedure]) => {
      const def = procedure._def as unknown as { type: 'query' | 'mutation' | 'subscription'; inputs: unknown[] };
      return { path, type: def.type, inputs: def.inputs };
    })
    .filter((p): p is { path: string; type: 'query' | 'mutation'; inputs: unknown[] } => p.type !== 'subscription')
    .map(({ path, type, inputs }) => ({
      path,
      type,
      fields: [...new Set(inputs.flatMap(fieldsOf))],
      hasInput: inputs.length > 0,
    }))
    .sort((a, b) => a.path.localeCompare(b.path));
}
