import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestNetworkNoAppView } from '@atproto/dev-env';

/** A token the PDS's authorization server issued: at the code exchange (`created`) or a refresh. */
export interface TokenEvent {
  kind: 'created' | 'refreshed';
  did: string;
  clientId: string;
  /** How the client authenticated at the token endpoint: `none` (public) or `private_key_jwt`. */
  authMethod: string;
}

export interface TestAccount {
  did: string;
  handle: string;
  email: string;
  password: string;
}

/** A local PLC directory and PDS on loopback, in this process, for real OAuth logins and record writes. */
export interface LocalAtprotoNetwork {
  network: TestNetworkNoAppView;
  /** `http://localhost:<port>`: the PDS, its OAuth authorization server and the handle resolver. */
  pdsUrl: string;
  plcUrl: string;
  /** The variables that point the API at this network (SPEC.md names). */
  env: { ATPROTO_PLC_URL: string; ATPROTO_HANDLE_RESOLVER: string };
  /** Every token the authorization server issued, in order (tests count refreshes with it). */
  tokenEvents: TokenEvent[];
  /** Client ids of the OAuth grants the PDS still holds for `did` (a revoked grant is gone). */
  oauthGrants(did: string): Promise<string[]>;
  /** Creates an account whose handle is `<name>.test`. */
  createAccount(name: string, password?: string): Promise<TestAccount>;
  /**
   * A confidential client publishes its metadata and JWKS under an https PUBLIC_URL the PDS cannot
   * reach here: the PDS fetches those documents from `localUrl` (the API under test) instead.
   */
  serveClientDocumentsFrom(publicUrl: string, localUrl: string): void;
  close(): Promise<void>;
}

/**
 * Starts PLC + PDS (`@atproto/dev-env`). The PDS keeps its SQLite files and blobs under `os.tmpdir()`,
 * so TMPDIR points at a folder of our own while it starts, and that folder is removed on close.
 */
export async function startLocalAtprotoNetwork(): Promise<LocalAtprotoNetwork> {
  const { network, dir } = await startInTmpdir();
  // A worker that exits without reaching close() (a failed beforeAll, a timeout) still leaves no files.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const pdsUrl = network.pds.url;
  const plcUrl = network.plc.url;
  const agent = network.pds.getAgent();
  const tokenEvents: TokenEvent[] = [];
  recordTokenEvents(network, tokenEvents);
  return {
    network,
    pdsUrl,
    plcUrl,
    env: { ATPROTO_PLC_URL: plcUrl, ATPROTO_HANDLE_RESOLVER: pdsUrl },
    tokenEvents,
    serveClientDocumentsFrom: (publicUrl, localUrl) => serveClientDocumentsFrom(network, publicUrl, localUrl),
    async oauthGrants(did) {
      const tokens = await providerOf(network).tokenManager.listAccountTokens(did as `did:${string}:${string}`);
      return tokens.map((t) => t.data.clientId);
    },
    async createAccount(name, password = `${name}-password`) {
      const handle = `${name}.test`;
      const email = `${name}@plyr.test`;
      const { data } = await agent.com.atproto.server.createAccount({ handle, email, password });
      return { did: data.did, handle: data.handle, email, password };
    },
    async close() {
      try {
        await network.close();
      } finally {
        process.off('exit', removeDir);
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

// TMPDIR is process-wide: networks started at the same time in one process take turns.
let starting: Promise<unknown> = Promise.resolve();

function startInTmpdir(): Promise<{ network: TestNetworkNoAppView; dir: string }> {
  const next = starting.then(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plyr-atproto-'));
    const previousTmp = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    try {
      return { network: await TestNetworkNoAppView.create(), dir };
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    } finally {
      restoreTmpdir(previousTmp);
    }
  });
  starting = next.catch(() => {});
  return next;
}

function restoreTmpdir(previous: string | undefined): void {
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
}

interface TokenHookData {
  client: { id: string };
  clientAuth: { method: string };
  account: { did: string };
}
type TokenHook = (data: TokenHookData) => unknown;

/** The provider's hooks are read at call time, so wrapping them observes every token it issues. */
function recordTokenEvents(network: TestNetworkNoAppView, events: TokenEvent[]): void {
  const provider = providerOf(network) as unknown as { hooks: { onTokenCreated?: TokenHook; onTokenRefreshed?: TokenHook } };
  const { hooks } = provider;
  const wrap = (kind: TokenEvent['kind'], previous: TokenHook | undefined): TokenHook => async (data) => {
    events.push({ kind, did: data.account.did, clientId: data.client.id, authMethod: data.clientAuth.method });
    await previous?.(data);
  };
  hooks.onTokenCreated = wrap('created', hooks.onTokenCreated);
  hooks.onTokenRefreshed = wrap('refreshed', hooks.onTokenRefreshed);
}

interface ClientManagerInternals {
  getDiscoverableClientMetadata(clientId: string): Promise<unknown>;
  validateClientMetadata(clientId: string, metadata: unknown): unknown;
  jwks: { get(uri: string, options?: unknown): Promise<unknown> };
}

function serveClientDocumentsFrom(network: TestNetworkNoAppView, publicUrl: string, localUrl: string): void {
  const base = publicUrl.replace(/\/+$/, '');
  const manager = providerOf(network).clientManager as unknown as ClientManagerInternals;
  const localFetch = async (url: string) => {
    const res = await fetch(new URL(url.slice(base.length), localUrl), {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`${url} (served from ${localUrl}) answered ${res.status}`);
    return res.json() as Promise<unknown>;
  };
  const getMetadata = manager.getDiscoverableClientMetadata.bind(manager);
  manager.getDiscoverableClientMetadata = async (clientId) =>
    clientId.startsWith(`${base}/`) ? manager.validateClientMetadata(clientId, await localFetch(clientId)) : getMetadata(clientId);
  const getJwks = manager.jwks.get.bind(manager.jwks);
  manager.jwks.get = async (uri, options) => (uri.startsWith(`${base}/`) ? localFetch(uri) : getJwks(uri, options));
}

function providerOf(network: TestNetworkNoAppView) {
  const provider = network.pds.ctx.oauthProvider;
  if (!provider) throw new Error('the local PDS runs without its OAuth provider');
  return provider;
}
