import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stand-in answers: correctly, late, with a 500, never, or with a body that is not the contract. */
export type FakeAtprotofansMode = 'ok' | 'slow' | 'error500' | 'timeout' | 'garbage';

export interface FakeAtprotofansModeOptions {
  /** Delay before a `slow` answer (default 500 ms). */
  delayMs?: number;
  /** Apply the mode to this many requests only, then answer `ok` again (default: until changed). */
  times?: number;
  /** Body of a `garbage` answer (default: truncated JSON). */
  body?: string;
}

export interface FakeAtprotofansRequest {
  supporter: string | null;
  subject: string | null;
  signer: string | null;
}

export interface FakeAtprotofans {
  /** Base URL to use as ATPROTOFANS_URL, e.g. http://127.0.0.1:53211 */
  readonly url: string;
  /** Requests received on any path since start or the last reset(). */
  readonly requests: number;
  /** Most requests held open at once since start or the last reset() (checks a concurrency bound). */
  readonly peakConcurrency: number;
  readonly requestLog: readonly FakeAtprotofansRequest[];
  setSupporters(pairs: ReadonlyArray<readonly [supporterDid: string, artistDid: string]>): void;
  addSupporter(supporterDid: string, artistDid: string): void;
  removeSupporter(supporterDid: string, artistDid: string): void;
  setMode(mode: FakeAtprotofansMode, opts?: FakeAtprotofansModeOptions): void;
  /** Clears the request count and log and returns to `ok`; the supporter table is kept. */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeAtprotofansOptions {
  supporters?: ReadonlyArray<readonly [supporterDid: string, artistDid: string]>;
  /** 0 (default) picks a free port; a fixed port suits local runs with a fixed ATPROTOFANS_URL. */
  port?: number;
}

const VALIDATE_PATH = '/xrpc/com.atprotofans.validateSupporter';
const DEFAULT_SLOW_MS = 500;
const DEFAULT_GARBAGE = '{"valid": tru';

// A DID never contains a space, so the pair key is unambiguous.
const pairKey = (supporterDid: string, artistDid: string) => `${supporterDid} ${artistDid}`;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * A real HTTP server on 127.0.0.1 that answers atprotofans' `validateSupporter` from a table of
 * (supporter, artist) pairs, counts what it receives, and can be told to misbehave.
 */
export async function startFakeAtprotofans(options: FakeAtprotofansOptions = {}): Promise<FakeAtprotofans> {
  const table = new Set<string>();
  const requestLog: FakeAtprotofansRequest[] = [];
  let requests = 0;
  let open = 0;
  let peakConcurrency = 0;
  let mode: FakeAtprotofansMode = 'ok';
  let modeOptions: FakeAtprotofansModeOptions = {};
  let remaining = Infinity;
  const pendingTimers = new Set<NodeJS.Timeout>();

  const setSupporters = (pairs: ReadonlyArray<readonly [string, string]>) => {
    table.clear();
    for (const [s, a] of pairs) table.add(pairKey(s, a));
  };
  setSupporters(options.supporters ?? []);

  // The mode in force for this request, counting down `times`.
  const takeMode = (): [FakeAtprotofansMode, FakeAtprotofansModeOptions] => {
    const current: [FakeAtprotofansMode, FakeAtprotofansModeOptions] = [mode, modeOptions];
    if (mode !== 'ok' && --remaining <= 0) {
      mode = 'ok';
      modeOptions = {};
    }
    return current;
  };

  const answer = (req: IncomingMessage, res: ServerResponse) => {
    requests += 1;
    open += 1;
    peakConcurrency = Math.max(peakConcurrency, open);
    res.once('close', () => (open -= 1));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== VALIDATE_PATH) {
      sendJson(res, 404, { error: 'MethodNotImplemented', message: 'Method Not Implemented' });
      return;
    }
    const entry: FakeAtprotofansRequest = {
      supporter: url.searchParams.get('supporter'),
      subject: url.searchParams.get('subject'),
      signer: url.searchParams.get('signer'),
    };
    requestLog.push(entry);
    const [current, currentOptions] = takeMode();
    if (current === 'timeout') return; // hold the socket open until the client gives up or close()
    if (current === 'error500') {
      sendJson(res, 500, { error: 'InternalServerError', message: 'Internal Server Error' });
      return;
    }
    if (current === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(currentOptions.body ?? DEFAULT_GARBAGE);
      return;
    }
    if (!entry.supporter || !entry.subject) {
      sendJson(res, 400, { error: 'InvalidRequest', message: 'supporter and subject are required' });
      return;
    }
    const valid = entry.signer === entry.subject && table.has(pairKey(entry.supporter, entry.subject));
    const body = valid ? { valid: true, profile: { did: entry.supporter } } : { valid: false };
    if (current === 'slow') {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        sendJson(res, 200, body);
      }, currentOptions.delayMs ?? DEFAULT_SLOW_MS);
      pendingTimers.add(timer);
      return;
    }
    sendJson(res, 200, body);
  };

  const server = createServer(answer);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    get peakConcurrency() {
      return peakConcurrency;
    },
    requestLog,
    setSupporters,
    addSupporter: (s, a) => void table.add(pairKey(s, a)),
    removeSupporter: (s, a) => void table.delete(pairKey(s, a)),
    setMode(next, opts = {}) {
      mode = next;
      modeOptions = opts;
      remaining = opts.times ?? Infinity;
    },
    reset() {
      requests = 0;
      peakConcurrency = open;
      requestLog.length = 0;
      mode = 'ok';
      modeOptions = {};
      remaining = Infinity;
    },
    close() {
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A syntactically valid did:plc derived from a label, for the stand-in's table and test viewers. */
export function didForTest(label: string): string {
  const digest = createHash('sha256').update(label).digest();
  return `did:plc:${Array.from(digest.subarray(0, 24), (byte) => BASE32[byte % 32]).join('')}`;
}
