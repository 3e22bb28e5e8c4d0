import { z } from 'zod';

/** The attested.network record types plyr reads (lexicons published by did:plc:cq3w3bw7awp2rkeswfdzoubb). */
export const PAYMENT_COLLECTIONS = ['network.attested.payment.oneTime', 'network.attested.payment.recurring'] as const;
export type PaymentCollection = (typeof PAYMENT_COLLECTIONS)[number];
export const PROOF_COLLECTION = 'network.attested.payment.proof';
export const STRONG_REF_TYPE = 'com.atproto.repo.strongRef';

/** The proof status a broker writes once it has seen the money (other values: pending, transferred, …). */
export const VERIFIED_STATUS = 'verified';

export const strongRef = z.object({
  $type: z.literal(STRONG_REF_TYPE).optional(),
  uri: z.string().min(1),
  cid: z.string().min(1),
});
export type StrongRef = z.infer<typeof strongRef>;

// The fields every payment record must carry by its lexicon; anything else the record holds is kept, unread.
const paymentFields = {
  subject: z.string().min(1),
  amount: z.number().int().min(1),
  currency: z.string().length(3),
  txnid: z.string().max(64),
  createdAt: z.string().min(1),
  // Entries are strongRefs by the lexicon; an inline (badge.blue) attestation is an object too and is skipped.
  signatures: z.array(z.record(z.string(), z.unknown())).optional(),
};

export const paymentRecordSchemas: Record<PaymentCollection, z.ZodType<PaymentRecord>> = {
  'network.attested.payment.oneTime': z.looseObject({
    $type: z.literal('network.attested.payment.oneTime'),
    ...paymentFields,
  }),
  'network.attested.payment.recurring': z.looseObject({
    $type: z.literal('network.attested.payment.recurring'),
    ...paymentFields,
    unit: z.string().min(1),
  }),
};

export interface PaymentRecord {
  $type: PaymentCollection;
  subject: string;
  signatures?: Array<Record<string, unknown>>;
}

export const proofRecord = z.looseObject({
  $type: z.literal(PROOF_COLLECTION),
  cid: z.string().min(1),
  status: z.string().optional(),
});
