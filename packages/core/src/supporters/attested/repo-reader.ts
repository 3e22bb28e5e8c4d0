import { Agent, XRPCError } from '@atproto/api';
import { DidError, extractPdsUrl, type AtprotoDid } from '@atproto/did';
import { DidResolverCommon } from '@atproto-labs/did-resolver';
import { safeFetchWrap } from '@atproto-labs/fetch-node';

/** Why a repository read gave no usable answer; none of these means "no payment". */
export type RepoReadFailure = 'did_resolution' | 'pds_request' | 'malformed_record';

export class RepoReadError extends Error {
  override readonly name = 'RepoReadError';
  constructor(
    readonly failure: RepoReadFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface RepoReaderOptions {
  plcUrl: string;
  /**
   * DID documents name PDS hosts their owners chose: with protection on (production), only public
   * https hosts are contacted, so a DID cannot point the API at its own network.
   */
  ssrfProtection: boolean;
  fetch: typeof fetch;
}

export interface RecordPage {
  records: Array<{ uri: string; cid: string; value: unknown }>;
  cursor?: string;
}

/** Reads public records from any account's own PDS, every call bounded by the caller's signal. */
export interface RepoReader {
  /** The account's PDS, or null when its DID does not exist (then it has no records anywhere). */
  pdsOf(did: AtprotoDid, signal: AbortSignal): Promise<URL | null>;
  /** One page, newest first, with a cursor only if more may follow; null when the PDS holds no such repository. */
  listRecords(pds: URL, repo: string, collection: string, cursor: string | undefined, signal: AbortSignal): Promise<RecordPage | null>;
  /** The record and the CID its PDS reports for it; null when there is no such record. */
  getRecord(pds: URL, repo: string, collection: string, rkey: string, signal: AbortSignal): Promise<{ cid: string; value: unknown } | null>;
}

/** listRecords' maximum page size. */
const PAGE_SIZE = 100;

// A DID the directory does not know (404) or has tombstoned (410) has no repository at all.
const DID_GONE = new Set([404, 410]);
// The PDS answers for the account, and the answer is that it publishes nothing.
const REPO_GONE = new Set(['RepoNotFound', 'RepoDeactivated', 'RepoTakendown', 'RepoSuspended']);

export function createRepoReader(options: RepoReaderOptions): RepoReader {
  // The PLC directory is the operator's choice; did:web hosts and PDS hosts are the accounts'.
  const accountHostFetch: typeof fetch = options.ssrfProtection
    ? (safeFetchWrap({ fetch: options.fetch, allowImplicitRedirect: true }) as typeof fetch)
    : options.fetch;
  const plcResolver = new DidResolverCommon({ plcDirectoryUrl: options.plcUrl, fetch: options.fetch });
  const webResolver = new DidResolverCommon({ fetch: accountHostFetch, allowHttp: !options.ssrfProtection });
  const resolverFor = (did: AtprotoDid) => (did.startsWith('did:plc:') ? plcResolver : webResolver);

  const agentFor = (pds: URL, signal: AbortSignal) =>
    new Agent({
      service: pds,
      fetch: (input, init) => accountHostFetch(input, { ...init, redirect: 'error', signal }),
    });

  const pdsRequestError = (what: string, err: unknown) =>
    new RepoReadError('pds_request', `${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });

  return {
    async pdsOf(did, signal) {
      let document;
      try {
        document = await resolverFor(did).resolve(did, { signal });
      } catch (err) {
        if (err instanceof DidError && DID_GONE.has(err.status)) return null;
        throw new RepoReadError('did_resolution', `could not resolve ${did}`, { cause: err });
      }
      try {
        return extractPdsUrl(document);
      } catch (err) {
        throw new RepoReadError('did_resolution', `the DID document of ${did} names no usable PDS`, { cause: err });
      }
    },

    async listRecords(pds, repo, collection, cursor, signal) {
      try {
        const { data } = await agentFor(pds, signal).com.atproto.repo.listRecords({
          repo,
          collection,
          limit: PAGE_SIZE,
          cursor,
        });
        // A short page is the last one, whatever cursor the PDS still hands out.
        return { records: data.records, cursor: data.records.length < PAGE_SIZE ? undefined : data.cursor };
      } catch (err) {
        if (err instanceof XRPCError && REPO_GONE.has(err.error)) return null;
        throw pdsRequestError(`listRecords ${collection} of ${repo} at ${pds.origin}`, err);
      }
    },

    async getRecord(pds, repo, collection, rkey, signal) {
      let data;
      try {
        ({ data } = await agentFor(pds, signal).com.atproto.repo.getRecord({ repo, collection, rkey }));
      } catch (err) {
        if (err instanceof XRPCError && (err.error === 'RecordNotFound' || REPO_GONE.has(err.error))) return null;
        throw pdsRequestError(`getRecord ${collection}/${rkey} of ${repo} at ${pds.origin}`, err);
      }
      if (!data.cid) throw new RepoReadError('malformed_record', `getRecord of ${data.uri} answered without a CID`);
      return { cid: data.cid, value: data.value };
    },
  };
}
