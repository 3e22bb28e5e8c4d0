import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestNetworkNoAppView } from '@atproto/dev-env';

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
  /** Creates an account whose handle is `<name>.test`. */
  createAccount(name: string, password?: string): Promise<TestAccount>;
  close(): Promise<void>;
}

/**
 * Starts PLC + PDS (`@atproto/dev-env`). The PDS keeps its SQLite files and blobs under `os.tmpdir()`,
 * so TMPDIR points at a folder of our own while it starts, and that folder is removed on close.
 */
export async function startLocalAtprotoNetwork(): Promise<LocalAtprotoNetwork> {
  const dir = await mkdtemp(join(tmpdir(), 'plyr-atproto-'));
  const previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  let network: TestNetworkNoAppView;
  try {
    network = await TestNetworkNoAppView.create({ pds: { hostname: 'localhost' } });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  } finally {
    restoreTmpdir(previousTmp);
  }
  const pdsUrl = network.pds.url;
  const plcUrl = network.plc.url;
  const agent = network.pds.getAgent();
  return {
    network,
    pdsUrl,
    plcUrl,
    env: { ATPROTO_PLC_URL: plcUrl, ATPROTO_HANDLE_RESOLVER: pdsUrl },
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
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

function restoreTmpdir(previous: string | undefined): void {
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
}
