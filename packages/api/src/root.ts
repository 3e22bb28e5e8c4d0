import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { router } from './trpc.js';
import { authRouter } from './routers/auth.js';
import { downloadsRouter } from './routers/downloads.js';
import { supportersRouter } from './routers/supporters.js';
import { tracksRouter } from './routers/tracks.js';

export const appRouter = router({
  auth: authRouter,
  downloads: downloadsRouter,
  supporters: supportersRouter,
  tracks: tracksRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
