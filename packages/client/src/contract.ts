import type {
  AnyProcedure,
  AnyRouter,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  TRPCSubscriptionProcedure,
  inferRouterError,
} from '@trpc/server';
import type { AppRouter as ServerRouter } from '@plyr/api';

/**
 * The server router as a client sees it: every procedure with plain input and output types, the
 * error shape, and no server context (services, Express, database types) or procedure meta.
 *
 * The helper types live inside this function on purpose: declaration emit cannot name them from
 * outside, so it prints the fully resolved structure. That is what keeps `dist/index.d.ts`
 * self-contained: it names `@trpc/server` and nothing of `@plyr/*` (a test of the build checks it).
 * This module is only ever imported with `import type`, so none of it reaches the JavaScript bundle.
 */
function clientView<TRouter extends AnyRouter>() {
  type Plain<T> = T extends Date ? T : T extends object ? { [K in keyof T]: Plain<T[K]> } : T;
  type Types<P extends AnyProcedure> = {
    input: Plain<P['_def']['$types']['input']>;
    output: Plain<P['_def']['$types']['output']>;
    meta: object;
  };
  type ClientProcedure<P extends AnyProcedure> = P['_def']['type'] extends 'query'
    ? TRPCQueryProcedure<Types<P>>
    : P['_def']['type'] extends 'mutation'
      ? TRPCMutationProcedure<Types<P>>
      : TRPCSubscriptionProcedure<Types<P>>;
  type ClientRecord<R> = {
    [K in keyof R]: R[K] extends AnyProcedure
      ? ClientProcedure<R[K]>
      : R[K] extends AnyRouter
        ? ClientRecord<R[K]['_def']['record']>
        : ClientRecord<R[K]>;
  };
  return null as unknown as {
    record: ClientRecord<TRouter['_def']['record']>;
    errorShape: Plain<inferRouterError<TRouter>>;
    transformer: TRouter['_def']['_config']['$types']['transformer'];
  };
}

export const plyrApi = clientView<ServerRouter>();
