import { once } from 'node:events';
import type { Server } from 'node:http';
import type { LocalAtprotoNetwork } from '@plyr/testing/atproto/network';

/** The parts of `@atproto/pds`'s PDS object that serve HTTP (its app and the listening server). */
interface PdsHttp {
  app: { listen(port: number): Server };
  server: Server;
  terminator: { terminate(): Promise<void> };
  ctx: { cfg: { service: { port: number } } };
}

export interface PdsSwitch {
  /** Stops listening and drops open connections: record writes and token refreshes fail. Idempotent. */
  down(): Promise<void>;
  /** Listens again on the same port with the same state. Idempotent. */
  up(): Promise<void>;
}

/** Takes the local PDS off the network and back, keeping its accounts, records and OAuth state. */
export function pdsSwitch(network: LocalAtprotoNetwork): PdsSwitch {
  const pds = network.network.pds.server as unknown as PdsHttp;
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  let listening = true;
  return {
    async down() {
      if (!listening) return;
      listening = false;
      await close(pds.server);
    },
    async up() {
      if (listening) return;
      listening = true;
      const server = pds.app.listen(pds.ctx.cfg.service.port);
      await once(server, 'listening');
      pds.server = server;
      // So the network's own close() shuts this server, not the one already closed.
      pds.terminator = { terminate: () => close(server) };
    },
  };
}
