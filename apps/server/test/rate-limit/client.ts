import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '@plyr/testing';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface SendOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  json?: unknown;
  /** Loopback source address (127.0.0.x): a distinct client as the server's socket sees it. */
  from?: string;
}

/** One HTTP request from a chosen source address (fetch cannot pick one). */
export function send(baseUrl: string, path: string, options: SendOptions = {}): Promise<Answer> {
  const { port } = new URL(baseUrl);
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: Number(port),
        path,
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        localAddress: options.from,
        agent: false,
        timeout: 10_000,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON (a redirect or an empty body): keep the text.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `count` identical requests one after the other and returns their statuses. */
export async function statuses(count: number, next: (i: number) => Promise<Answer>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await next(i)).status);
  return out;
}

/** Parses a draft-8 `RateLimit` header into { policy name: remaining }. */
export function remaining(headers: IncomingHttpHeaders): Record<string, number> {
  const raw = headers.ratelimit;
  const out: Record<string, number> = {};
  for (const item of String(raw ?? '').split(/,\s*(?=")/)) {
    const m = /^"([^"]+)";\s*r=(\d+);\s*t=(\d+)$/.exec(item.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** A redis-server the test owns on its own port, to stop and restart without touching the shared one. */
export class OwnRedis {
  #process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.start();
    return redis;
  }

  get running(): boolean {
    return this.#process !== null;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.#process = child;
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (await this.answers()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis-server did not start');
  }

  private async answers(): Promise<boolean> {
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }

  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
