import { createServer } from 'node:net';

/**
 * Ports handed out for servers a test starts later (a spawned API, a balancer) come from below the
 * kernel's ephemeral range (32768-60999 on Linux), which is where every `listen(0)` and outgoing
 * connection of the run takes its port: a port picked there and released could be taken by another
 * test's in-process server before ours binds it, which then answers for ours.
 */
const FIRST = 20_000;
const COUNT = 12_000;

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A loopback port free at the time of asking, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIRST + Math.floor(Math.random() * COUNT);
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port in ${FIRST}-${FIRST + COUNT - 1} after 100 tries`);
}
