import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { router } from './trpc.js';
import { authRouter } from './routers/auth.js';
import { supportersRouter } from './routers/supporters.js';
import { tracksRouter } from './routers/tracks.js';

export const appRouter = router({
  auth: authRouter,
  supporters: supportersRouter,
  tracks: tracksRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
