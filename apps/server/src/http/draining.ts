import type { RequestHandler } from 'express';

/**
 * Set once shutdown begins: `/ready` answers 503 so load balancers stop routing here, while every
 * request, in flight or new, is still served until the process closes its listener.
 */
export class Draining {
  #active = false;

  start(): void {
    this.#active = true;
  }

  get active(): boolean {
    return this.#active;
  }
}

/**
 * While draining, each answer closes its connection: a client or balancer never reuses a kept-alive
 * connection that the process is about to close, so none of its requests is lost in that race.
 */
export function closeConnectionsWhileDraining(draining: Draining): RequestHandler {
  return (_req, res, next) => {
    if (draining.active) res.setHeader('Connection', 'close');
    next();
  };
}
