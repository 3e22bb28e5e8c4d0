import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** Fresh secrets of the shape production requires: an encryption key and an ES256 JWK set. */
export function productionSecrets(): { SESSION_ENCRYPTION_KEY: string; OAUTH_PRIVATE_KEYS: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `test-${randomBytes(4).toString('hex')}`, alg: 'ES256' };
  return {
    SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    OAUTH_PRIVATE_KEYS: JSON.stringify({ keys: [jwk] }),
  };
}
