import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/env.js';
import { startServer } from './server-process.js';

/** Starts the real entry point with only `vars` set and returns how it ended (without blocking the worker, so starts overlap). */
async function startWith(vars: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  const server = startServer(vars);
  try {
    return { status: await server.exited, stderr: server.stderr() };
  } finally {
    server.child.kill('SIGKILL');
  }
}

describe('configuration validated at start', () => {
  it.concurrent.for<[Record<string, string>, string]>([
    [{ PORT: 'abc' }, 'PORT'],
    [{ APP_ENV: 'prod' }, 'APP_ENV'],
    [{ CORS_ORIGIN_REGEX: '^https://(' }, 'CORS_ORIGIN_REGEX'],
    [{ APP_ENV: 'production' }, 'SESSION_ENCRYPTION_KEY'],
    [{ RATE_LIMIT_AUTH: 'ten per minute' }, 'RATE_LIMIT_AUTH'],
    [{ SESSION_ENCRYPTION_KEY: 'c2hvcnQ=' }, 'SESSION_ENCRYPTION_KEY'],
    [{ CORS_ORIGINS: 'https://plyr.fm/path' }, 'CORS_ORIGINS'],
    [{ SUPPORTER_SOURCES: 'attested,patreon' }, 'SUPPORTER_SOURCES'],
    [{ ATTESTED_TRUSTED_BROKERS: 'broker.atmosphere.money' }, 'ATTESTED_TRUSTED_BROKERS'],
  ])('%o stops the process with one line naming %s', async ([vars, name], { expect }) => {
    const { status, stderr } = await startWith(vars);
    expect(status).not.toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
  });

  it.concurrent('never echoes a secret value in the message', async ({ expect }) => {
    const secret = 'bm90LXRoaXJ0eS10d28tYnl0ZXM='; // valid base64, wrong length
    const { stderr } = await startWith({ SESSION_ENCRYPTION_KEY: secret });
    expect(stderr).toContain('SESSION_ENCRYPTION_KEY');
    expect(stderr).not.toContain(secret);
  });

  it('refuses production without https PUBLIC_URL', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const jwk = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', kid: 'k1' }] });
    expect(() =>
      loadEnv({ APP_ENV: 'production', SESSION_ENCRYPTION_KEY: key, OAUTH_PRIVATE_KEYS: jwk, PUBLIC_URL: 'http://api.plyr.fm' }),
    ).toThrow(/PUBLIC_URL/);
  });

  it('applies the per-environment CORS defaults and anchors custom patterns', () => {
    expect(loadEnv({}).corsOrigins).toEqual(['http://localhost:5173']);
    expect(loadEnv({}).corsOriginRegex).toBeNull();
    expect(loadEnv({ APP_ENV: 'staging' }).corsOrigins).toEqual(['https://stg.plyr.fm']);
    const custom = loadEnv({ CORS_ORIGIN_REGEX: 'https://[a-z]+\\.example\\.com' }).corsOriginRegex!;
    expect(custom.test('https://a.example.com')).toBe(true);
    expect(custom.test('https://a.example.com.evil.com')).toBe(false);
    expect(custom.test('xhttps://a.example.com')).toBe(false);
  });

  it('parses rate limits and the Secure-cookie rule', () => {
    const env = loadEnv({ RATE_LIMIT_DEFAULT: '5/second', FRONTEND_URL: 'https://plyr.fm' });
    expect(env.rateLimit.default).toEqual({ limit: 5, windowMs: 1000, text: '5/second' });
    expect(env.cookieSecure).toBe(true);
    expect(loadEnv({ FRONTEND_URL: 'http://localhost:5173' }).cookieSecure).toBe(false);
    expect(loadEnv({ FRONTEND_URL: 'http://localhost.evil.com' }).cookieSecure).toBe(true);
  });

  it('reads the supporter sources in order and the trusted brokers, with their defaults', () => {
    expect(loadEnv({}).supporterSources).toEqual(['attested', 'atprotofans']);
    expect(loadEnv({}).attestedTrustedBrokers).toEqual(['did:plc:7srqsetux75b6flzbbyag2ro']);
    expect(loadEnv({ SUPPORTER_SOURCES: ' atprotofans , attested ' }).supporterSources).toEqual(['atprotofans', 'attested']);
    expect(loadEnv({ SUPPORTER_SOURCES: 'atprotofans' }).supporterSources).toEqual(['atprotofans']);
    const brokers = loadEnv({ ATTESTED_TRUSTED_BROKERS: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz,did:web:broker.example.com' });
    expect(brokers.attestedTrustedBrokers).toEqual(['did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'did:web:broker.example.com']);
  });

  it.each([
    [{ SUPPORTER_SOURCES: 'attested,attested' }, 'SUPPORTER_SOURCES'],
    [{ SUPPORTER_SOURCES: ',' }, 'SUPPORTER_SOURCES'],
    [{ ATTESTED_TRUSTED_BROKERS: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz,did:plc:short' }, 'ATTESTED_TRUSTED_BROKERS'],
    [{ ATTESTED_TRUSTED_BROKERS: ' , ' }, 'ATTESTED_TRUSTED_BROKERS'],
  ])('refuses %o naming %s', (vars, name) => {
    expect(() => loadEnv(vars)).toThrow(new RegExp(`^invalid environment: ${name}: `));
  });
});
