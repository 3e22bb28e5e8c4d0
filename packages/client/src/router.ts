import type { TRPCBuiltRouter, inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { plyrApi } from './contract.js';

/** The plyr API's tRPC router type, as `createTRPCClient` and tRPC's React/Svelte helpers expect it. */
export type PlyrRouter = TRPCBuiltRouter<
  {
    ctx: object;
    meta: object;
    errorShape: (typeof plyrApi)['errorShape'];
    transformer: (typeof plyrApi)['transformer'];
  },
  (typeof plyrApi)['record']
>;

/** Input of every procedure, e.g. `RouterInputs['tracks']['list']`. */
export type RouterInputs = inferRouterInputs<PlyrRouter>;
/** Output of every procedure as it arrives over the wire, e.g. `RouterOutputs['auth']['me']`. */
export type RouterOutputs = inferRouterOutputs<PlyrRouter>;
