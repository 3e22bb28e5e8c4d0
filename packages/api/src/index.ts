export { appRouter, type AppRouter, type RouterInputs, type RouterOutputs } from './root.js';
export { createContext, type Context, type InnerContext, type RequestValues, type SessionCookie } from './context.js';
export { procedureAt, type ProcedureInfo } from './procedures.js';
export { createCallerFactory, MAX_BATCH_SIZE, MAX_BODY_BYTES, type Meta, type RateLimitGroup } from './trpc.js';
export type { TrackOutput } from './track-output.js';
export { createOpenApiDocument, restRoutes, REST_BASE_PATH, type RestRoute } from './openapi/document.js';
export { examplesByProcedure } from './openapi/examples.js';
export type { RestErrorBody } from './openapi/error-body.js';
