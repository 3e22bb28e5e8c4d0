export { appRouter, type AppRouter, type RouterInputs, type RouterOutputs } from './root.js';
export { createContext, type Context, type InnerContext, type RequestValues, type SessionCookie } from './context.js';
export { procedureAt, type ProcedureInfo } from './procedures.js';
export { createCallerFactory, MAX_BATCH_SIZE, MAX_BODY_BYTES, type Meta, type RateLimitGroup } from './trpc.js';
export type { TrackOutput } from './track-output.js';
