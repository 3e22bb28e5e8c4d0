import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Metrics } from '@plyr/core/metrics';

export interface MetricsServerOptions {
  metrics: Metrics;
  port: number;
  /** Always loopback unless set: metrics never reach the public port by accident. */
  host: string;
  /** When set, a scrape must carry `Authorization: Bearer <token>`. */
  token: string | null;
}

/** `GET /metrics` in Prometheus text format on a listener of its own, apart from the public API. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<{ server: Server; close(): Promise<void> }> {
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : null;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('unauthorized\n');
        return;
      }
    }
    options.metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': options.metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
