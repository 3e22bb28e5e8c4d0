import { isAtprotoDid } from '@atproto/did';

// The atproto DID spec caps a DID at 2 KB.
const MAX_DID_LENGTH = 2048;

/** Strict atproto DID syntax: did:plc, or did:web on a bare hostname (a port only for localhost). */
export function isDid(value: string): boolean {
  return value.length <= MAX_DID_LENGTH && isAtprotoDid(value);
}
