import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Secrets at rest (OAuth tokens, DPoP keys) and the hashes that stand in for bearer secrets. */

const ALGORITHM = 'aes-256-gcm';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

/**
 * AES-256-GCM. `context` (e.g. the row's key) is authenticated but not stored, so a ciphertext moved
 * to another row no longer decrypts. Output: `v1.<iv>.<tag>.<ciphertext>`, base64url parts.
 */
export function encryptSecret(key: Buffer, plaintext: string, context: string): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

export function decryptSecret(key: Buffer, payload: string, context: string): string {
  assertKey(key);
  const [version, iv, tag, ciphertext, ...rest] = payload.split('.');
  if (version !== VERSION || !iv || !tag || ciphertext === undefined || rest.length > 0) {
    throw new DecryptionError('unrecognised ciphertext format');
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new DecryptionError('ciphertext does not authenticate with this key', { cause });
  }
}

/** Hex SHA-256: what the database keeps instead of a session id or token. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** `bytes` of CSPRNG output, base64url (32 bytes → 256 bits, 43 characters). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

function assertKey(key: Buffer): void {
  if (key.length !== 32) throw new RangeError('the session encryption key must be 32 bytes');
}
