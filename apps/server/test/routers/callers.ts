import pino from 'pino';
import { appRouter, createCallerFactory, type InnerContext } from '@plyr/api';
import type { Services } from '@plyr/core';

const createCaller = createCallerFactory(appRouter);

/** Procedures called in process with a hand-built inner context: no HTTP, no Express. */
export function callerFor(services: Services, viewer: { did: string; handle: string } | null) {
  const ctx: InnerContext = {
    services,
    viewer: viewer && { ...viewer, via: 'bearer' },
    requestId: 'router-test',
    logger: pino({ level: 'silent' }),
    sessionCookie: null,
  };
  return createCaller(ctx);
}
