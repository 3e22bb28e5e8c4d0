/**
 * Settings the domain services read, already validated by the host (apps/server/src/env.ts). Cookie,
 * CORS and other HTTP settings stay in the host's Env.
 */
export interface CoreConfig {
  appEnv: 'development' | 'staging' | 'production';
  publicUrl: string;
  presignTtlSeconds: number;
  plcUrl: string;
  handleResolver: string;
  /** 32 bytes: encrypts OAuth tokens at rest. */
  sessionEncryptionKey: Buffer;
  /** ES256 private JWKs for a confidential OAuth client; null → loopback development client. */
  oauthPrivateKeys: JsonWebKey[] | null;
  maxUploadBytes: number;
}
