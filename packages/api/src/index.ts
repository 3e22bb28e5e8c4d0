export { appRouter, type AppRouter, type RouterInputs, type RouterOutputs } from './root.js';
export {
  createContext,
  createCallerFactory,
  credentialsOf,
  viewerOf,
  MAX_BATCH_SIZE,
  MAX_BODY_BYTES,
  SESSION_COOKIE,
  type Context,
  type InnerContext,
  type Meta,
  type RateLimitGroup,
} from './trpc.js';
export type { TrackOutput } from './track-output.js';
export { createOpenApiDocument, restRoutes, REST_BASE_PATH, type RestRoute } from './openapi/document.js';
export { examplesByProcedure } from './openapi/examples.js';
export type { RestErrorBody } from './openapi/error-body.js';
