import { createServer, connect, type Server, type Socket } from 'node:net';
import { Transform } from 'node:stream';

/**
 * How the relay treats traffic: `up` forwards; `refuse` closes the port (connection refused, as a
 * dead service); `blackhole` keeps every socket open but moves no byte either way (a partition:
 * the peer neither answers nor hangs up).
 */
export type FaultMode = 'up' | 'refuse' | 'blackhole';

export interface FaultProxy {
  readonly port: number;
  /** Bytes clients sent towards the service since start or `resetCounters()` (any query costs some). */
  readonly bytesToTarget: number;
  /**
   * Postgres statements clients ran through the relay since start or `resetCounters()`: simple
   * queries plus extended-protocol Executes, read from the frontend message stream.
   */
  readonly postgresStatements: number;
  /** The same by SQL text (a prepared statement counts under the text it was parsed with): what runs. */
  readonly postgresStatementsByText: ReadonlyMap<string, number>;
  /** Connections accepted since start or `resetCounters()`. */
  readonly connections: number;
  /** Sockets open now, client side. */
  readonly openConnections: number;
  resetCounters(): void;
  /**
   * Turns the relay into `blackhole` the moment a client sends a statement whose SQL matches
   * `pattern`, holding that statement back too (Postgres hangs in the middle of a transaction).
   * Resolves once it happened; `setMode('up')` then delivers what was held, `refuse` drops it.
   */
  hangAt(pattern: RegExp): Promise<void>;
  setMode(mode: FaultMode): Promise<void>;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket | null;
  counter: Transform;
}

/**
 * Counts statements in a Postgres frontend stream: after the untyped startup packet every message is
 * a type byte and a 4-byte length; `Q` is a simple query, `E` runs a bound extended-protocol statement.
 * An SSLRequest (also untyped) is answered by one byte and followed by the real startup packet.
 */
class PostgresStatementCounter {
  #pending = Buffer.alloc(0);
  #startupDone = false;
  /** Statement name → SQL (Parse), portal name → statement name (Bind): an Execute names only its portal. */
  #statements = new Map<string, string>();
  #portals = new Map<string, string>();

  constructor(private readonly onStatement: (text: string) => void) {}

  /** Consumes a chunk; returns the SQL text of the simple queries (`Q`) and Parses (`P`) it completed. */
  push(chunk: Buffer): string[] {
    const texts: string[] = [];
    this.#pending = Buffer.concat([this.#pending, chunk]);
    for (;;) {
      if (!this.#startupDone) {
        if (this.#pending.length < 8) return texts;
        const length = this.#pending.readInt32BE(0);
        if (this.#pending.length < length) return texts;
        const code = this.#pending.readInt32BE(4);
        this.#pending = this.#pending.subarray(length);
        // 80877103 is SSLRequest, 80877104 GSSENCRequest: the startup packet proper comes next.
        if (code !== 80877103 && code !== 80877104) this.#startupDone = true;
        continue;
      }
      if (this.#pending.length < 5) return texts;
      const length = this.#pending.readInt32BE(1);
      if (this.#pending.length < 1 + length) return texts;
      const type = String.fromCharCode(this.#pending[0]!);
      const body = this.#pending.subarray(5, 1 + length);
      const cString = (from: number) => body.toString('utf8', from, body.indexOf(0, from));
      // Q: the query text; P: the statement name, then the query text; B: the portal, then the
      // statement; E: the portal (all NUL-terminated).
      if (type === 'Q') {
        const text = cString(0);
        texts.push(text);
        this.onStatement(text);
      }
      if (type === 'P') {
        const name = cString(0);
        const text = cString(body.indexOf(0) + 1);
        this.#statements.set(name, text);
        texts.push(text);
      }
      if (type === 'B') this.#portals.set(cString(0), cString(body.indexOf(0) + 1));
      if (type === 'E') this.onStatement(this.#statements.get(this.#portals.get(cString(0)) ?? '') ?? '(unknown)');
      this.#pending = this.#pending.subarray(1 + length);
    }
  }
}

/**
 * A loopback TCP relay in front of a real service (Postgres, S3, …) that the test owns: it can take
 * the service down, partition it, and count what the API sends it. The shared service is never touched.
 */
export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  const links = new Set<Link>();
  let server: Server | null = null;
  let port = 0;
  let mode: FaultMode = 'up';
  let bytesToTarget = 0;
  let postgresStatements = 0;
  const postgresStatementsByText = new Map<string, number>();
  let connections = 0;
  let hang: { pattern: RegExp; reached: () => void } | null = null;
  /** Transform callbacks of statements held back by `hangAt`, released when the relay is up again. */
  let held: Array<() => void> = [];

  const destroy = (link: Link) => {
    link.client.destroy();
    link.upstream?.destroy();
    links.delete(link);
  };

  const wire = (link: Link) => {
    if (!link.upstream) {
      const upstream = connect(targetPort, targetHost);
      upstream.on('error', () => destroy(link));
      upstream.on('close', () => destroy(link));
      link.upstream = upstream;
    }
    link.client.pipe(link.counter).pipe(link.upstream);
    link.upstream.pipe(link.client);
  };

  const unwire = (link: Link) => {
    link.client.unpipe(link.counter);
    link.counter.unpipe();
    link.upstream?.unpipe(link.client);
    link.client.pause();
    link.upstream?.pause();
  };

  const accept = (client: Socket) => {
    connections += 1;
    const statements = new PostgresStatementCounter((text) => {
      postgresStatements += 1;
      postgresStatementsByText.set(text, (postgresStatementsByText.get(text) ?? 0) + 1);
    });
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytesToTarget += chunk.length;
        const texts = statements.push(chunk);
        const trigger = hang;
        if (trigger && texts.some((text) => trigger.pattern.test(text))) {
          hang = null;
          held.push(() => done(null, chunk));
          void setMode('blackhole').then(trigger.reached);
          return;
        }
        done(null, chunk);
      },
    });
    const link: Link = { client, upstream: null, counter };
    links.add(link);
    client.on('error', () => destroy(link));
    client.on('close', () => destroy(link));
    if (mode === 'up') wire(link);
    else client.pause();
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(accept);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });

  const unlisten = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = null;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  async function setMode(next: FaultMode): Promise<void> {
    if (next === mode) return;
    const previous = mode;
    mode = next;
    if (next === 'refuse') {
      held = [];
      for (const link of [...links]) destroy(link);
      await unlisten();
      return;
    }
    if (previous === 'refuse') await listen();
    if (next === 'blackhole') for (const link of links) unwire(link);
    else {
      for (const link of links) wire(link);
      for (const release of held.splice(0)) release();
    }
  }

  await listen();
  return {
    get port() {
      return port;
    },
    get bytesToTarget() {
      return bytesToTarget;
    },
    get postgresStatements() {
      return postgresStatements;
    },
    get postgresStatementsByText() {
      return postgresStatementsByText;
    },
    get connections() {
      return connections;
    },
    get openConnections() {
      return links.size;
    },
    resetCounters() {
      bytesToTarget = 0;
      postgresStatements = 0;
      postgresStatementsByText.clear();
      connections = 0;
    },
    hangAt(pattern) {
      return new Promise<void>((resolve) => {
        hang = { pattern, reached: resolve };
      });
    },
    setMode,
    async close() {
      for (const link of [...links]) destroy(link);
      await unlisten();
    },
  };
}
