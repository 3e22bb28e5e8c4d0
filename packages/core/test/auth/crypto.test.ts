import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptionError, decryptSecret, encryptSecret, randomToken, sha256Hex } from '../../src/auth/crypto.js';

const key = randomBytes(32);
const secret = JSON.stringify({ access_token: 'at-123', refresh_token: 'rt-456' });

describe('encryption at rest (AES-256-GCM)', () => {
  it('round-trips, and the ciphertext shows nothing of the plaintext', () => {
    const sealed = encryptSecret(key, secret, 'session:did:plc:alice');
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('at-123');
    expect(Buffer.from(sealed.split('.')[3]!, 'base64url').toString('utf8')).not.toContain('access_token');
    expect(decryptSecret(key, sealed, 'session:did:plc:alice')).toBe(secret);
  });

  it('uses a fresh IV each time', () => {
    expect(encryptSecret(key, secret, 'c')).not.toBe(encryptSecret(key, secret, 'c'));
  });

  it('refuses another key, another row, and any tampering', () => {
    const sealed = encryptSecret(key, secret, 'session:did:plc:alice');
    expect(() => decryptSecret(randomBytes(32), sealed, 'session:did:plc:alice')).toThrow(DecryptionError);
    // Moved to another account's row: the context is authenticated.
    expect(() => decryptSecret(key, sealed, 'session:did:plc:mallory')).toThrow(DecryptionError);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    const flipped = [parts[0], parts[1], parts[2], body.toString('base64url')].join('.');
    expect(() => decryptSecret(key, flipped, 'session:did:plc:alice')).toThrow(DecryptionError);
    expect(() => decryptSecret(key, 'garbage', 'session:did:plc:alice')).toThrow(DecryptionError);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => encryptSecret(randomBytes(16), secret, 'c')).toThrow(RangeError);
  });
});

describe('hashes and random secrets', () => {
  it('hashes with SHA-256 (hex)', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('draws 256-bit tokens that do not repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) expect(Buffer.from(t, 'base64url')).toHaveLength(32);
  });
});
