/** Settings the domain services need, already validated by the host (apps/server/src/env.ts). */
export interface CoreConfig {
  appEnv: 'development' | 'staging' | 'production';
  publicUrl: string;
  frontendUrl: string;
  dataDir: string;
  presignTtlSeconds: number;
  supporterCacheTtlSeconds: number;
  atprotofansUrl: string;
  plcUrl: string;
  handleResolver: string;
  /** 32 bytes: encrypts OAuth tokens at rest. */
  sessionEncryptionKey: Buffer;
  /** ES256 private JWKs for a confidential OAuth client; null → loopback development client. */
  oauthPrivateKeys: JsonWebKey[] | null;
  corsOrigins: string[];
  corsOriginRegex: RegExp | null;
  /** `Secure` on the session cookie (false only for a http://localhost frontend). */
  cookieSecure: boolean;
  maxUploadBytes: number;
}
