import { AtUri } from '@atproto/api';
import type { AtprotoDid } from '@atproto/did';
import { cidForLex } from '@atproto/lex-cbor';
import { jsonToLex, type JsonValue } from '@atproto/lex-json';
import pMap from 'p-map';
import type { Logger } from 'pino';
import type { SourceAnswer, SupporterSource } from '../sources.js';
import {
  PAYMENT_COLLECTIONS,
  paymentRecordSchemas,
  PROOF_COLLECTION,
  proofRecord,
  strongRef,
  VERIFIED_STATUS,
  type PaymentCollection,
  type StrongRef,
} from './lexicons.js';
import { RepoReadError, type RepoReader } from './repo-reader.js';

export interface AttestedSourceOptions {
  reader: RepoReader;
  /** Brokers whose proofs count (ATTESTED_TRUSTED_BROKERS). */
  trustedBrokers: readonly string[];
  /** Budget for one viewer's whole check: DID, listings and proofs. */
  timeoutMs: number;
  /** Pages of 100 read per payment collection, newest first. */
  maxPages: number;
  /** Artists whose proofs are checked at once. */
  concurrency: number;
  logger: Logger;
}

/** A payment record of the viewer's, reduced to what the rule reads. */
interface Payment {
  uri: string;
  rkey: string;
  subject: string;
  signatures: StrongRef[];
}

/**
 * attested.network: the viewer's own payment records for the artist, each counting only when a
 * trusted broker's proof at the same rkey still has the CID the payment's strongRef names and says
 * `verified`.
 */
export function createAttestedSource(options: AttestedSourceOptions): SupporterSource {
  const { reader, logger } = options;
  const trusted = new Set(options.trustedBrokers);

  // Every record of the viewer's is validated, for any artist: a repository we cannot read as its lexicons say gives no answer.
  async function readPayments(viewerDid: string, signal: AbortSignal): Promise<Payment[]> {
    const pds = await reader.pdsOf(viewerDid as AtprotoDid, signal);
    if (!pds) return [];
    const perCollection = await Promise.all(
      PAYMENT_COLLECTIONS.map((collection) => readCollection(pds, viewerDid, collection, signal)),
    );
    return perCollection.flat();
  }

  async function readCollection(pds: URL, viewerDid: string, collection: PaymentCollection, signal: AbortSignal) {
    const payments: Payment[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < options.maxPages; page += 1) {
      const listed = await reader.listRecords(pds, viewerDid, collection, cursor, signal);
      if (!listed) return payments;
      for (const record of listed.records) payments.push(toPayment(viewerDid, collection, record));
      cursor = listed.cursor;
      if (!cursor) return payments;
    }
    logger.info({ viewerDid, collection, read: payments.length }, 'attested: only the newest payment records were read');
    return payments;
  }

  function toPayment(viewerDid: string, collection: PaymentCollection, record: { uri: string; value: unknown }): Payment {
    const uri = parseAtUri(record.uri);
    const parsed = paymentRecordSchemas[collection].safeParse(record.value);
    if (!uri || uri.host !== viewerDid || uri.collection !== collection || !parsed.success) {
      throw new RepoReadError('malformed_record', `${record.uri} is not a ${collection} record of ${viewerDid}`, {
        cause: parsed.error,
      });
    }
    const signatures = (parsed.data.signatures ?? []).flatMap((entry) => {
      const ref = strongRef.safeParse(entry);
      return ref.success ? [ref.data] : [];
    });
    return { uri: record.uri, rkey: uri.rkey, subject: parsed.data.subject, signatures };
  }

  async function answerFor(
    payments: Payment[],
    brokerPds: (did: string) => Promise<URL | null>,
    signal: AbortSignal,
  ): Promise<{ answer: SourceAnswer; failure?: RepoReadError }> {
    let failure: RepoReadError | undefined;
    for (const payment of payments) {
      for (const ref of payment.signatures) {
        const proofUri = trustedProofAt(ref, payment.rkey);
        if (!proofUri) continue;
        try {
          if (await proofVerifies(proofUri, ref, brokerPds, signal)) return { answer: true };
        } catch (err) {
          if (!(err instanceof RepoReadError)) throw err;
          failure = err;
        }
      }
    }
    return failure ? { answer: 'failed', failure } : { answer: false };
  }

  /** The proof `ref` names, when it is at `rkey` in a trusted broker's repository. */
  function trustedProofAt(ref: StrongRef, rkey: string): AtUri | null {
    const uri = parseAtUri(ref.uri);
    if (!uri || uri.collection !== PROOF_COLLECTION || uri.rkey !== rkey) return null;
    return trusted.has(uri.host) ? uri : null;
  }

  async function proofVerifies(
    proofUri: AtUri,
    ref: StrongRef,
    brokerPds: (did: string) => Promise<URL | null>,
    signal: AbortSignal,
  ): Promise<boolean> {
    const pds = await brokerPds(proofUri.host);
    if (!pds) return false;
    const proof = await reader.getRecord(pds, proofUri.host, PROOF_COLLECTION, proofUri.rkey, signal);
    // Gone, or edited since the payment pointed at it: the attested version no longer exists.
    if (!proof || proof.cid !== ref.cid) return false;
    if ((await contentCid(proof.value)) !== proof.cid) {
      throw new RepoReadError('malformed_record', `${ref.uri}: the broker's PDS served content that does not hash to ${proof.cid}`);
    }
    const parsed = proofRecord.safeParse(proof.value);
    if (!parsed.success) {
      throw new RepoReadError('malformed_record', `${ref.uri} is not a ${PROOF_COLLECTION} record`, { cause: parsed.error });
    }
    return parsed.data.status === VERIFIED_STATUS;
  }

  return {
    name: 'attested',
    async supports(viewerDid, artistDids) {
      const signal = AbortSignal.timeout(options.timeoutMs);
      let payments: Payment[];
      try {
        payments = await readPayments(viewerDid, signal);
      } catch (err) {
        if (!(err instanceof RepoReadError)) throw err;
        logger.warn({ err, supporterDid: viewerDid }, 'attested: the viewer\'s payment records could not be read; no answer from this source');
        return new Map(artistDids.map((artistDid) => [artistDid, 'failed' as const]));
      }
      // One DID resolution per broker for the whole batch.
      const brokerPdsCache = new Map<string, Promise<URL | null>>();
      const brokerPds = (did: string) => {
        let pds = brokerPdsCache.get(did);
        if (!pds) brokerPdsCache.set(did, (pds = reader.pdsOf(did as AtprotoDid, signal)));
        return pds;
      };
      const answers = await pMap(
        artistDids,
        async (artistDid) => {
          const result = await answerFor(payments.filter((payment) => payment.subject === artistDid), brokerPds, signal);
          if (result.failure) {
            logger.warn({ err: result.failure, supporterDid: viewerDid, artistDid }, 'attested: a broker proof could not be checked; no answer from this source');
          }
          return result.answer;
        },
        { concurrency: options.concurrency },
      );
      return new Map(artistDids.map((artistDid, i) => [artistDid, answers[i] as SourceAnswer]));
    },
  };
}

function parseAtUri(value: string): AtUri | null {
  try {
    return new AtUri(value);
  } catch {
    return null;
  }
}

/** The CID of a record as its PDS serialised it (DAG-CBOR of the lexicon data the JSON stands for). */
async function contentCid(value: unknown): Promise<string> {
  try {
    return (await cidForLex(jsonToLex(value as JsonValue))).toString();
  } catch (err) {
    throw new RepoReadError('malformed_record', 'a record is not valid atproto data', { cause: err });
  }
}
