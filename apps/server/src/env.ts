import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
// Leaf entry points: the environment is checked before anything heavy loads (see main.ts).
import { isDid } from '@plyr/core/did';
import { SUPPORTER_SOURCE_NAMES, type SupporterSourceName } from '@plyr/core/supporter-sources';

/** The only reader of process.env: every variable of SPEC.md, validated once at start. */

const APP_ENVS = ['development', 'staging', 'production'] as const;
export type AppEnv = (typeof APP_ENVS)[number];

const DEFAULT_CORS: Record<AppEnv, { origins: string[]; regex: string | null }> = {
  development: { origins: ['http://localhost:5173'], regex: null },
  staging: { origins: ['https://stg.plyr.fm'], regex: '^https://[a-z0-9-]+\\.plyr-fm-stg\\.pages\\.dev$' },
  production: {
    origins: ['https://plyr.fm', 'https://www.plyr.fm'],
    regex: '^https://[a-z0-9-]+\\.plyr-fm\\.pages\\.dev$',
  },
};

export interface RateLimitRule {
  limit: number;
  windowMs: number;
  /** As configured, e.g. `100/minute`. */
  text: string;
}

const WINDOWS: Record<string, number> = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

const rateLimit = z.string().transform((text, ctx): RateLimitRule => {
  const m = /^(\d{1,7})\/(second|minute|hour|day)$/.exec(text.trim());
  if (!m || Number(m[1]) < 1) {
    ctx.addIssue({ code: 'custom', message: `expected "<count>/<second|minute|hour|day>", got "${text}"` });
    return z.NEVER;
  }
  return { limit: Number(m[1]), windowMs: WINDOWS[m[2]!]!, text: text.trim() };
});

const url = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).transform((u) => u.replace(/\/+$/, ''));
const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const origin = z.string().refine((o) => {
  try {
    return new URL(o).origin === o;
  } catch {
    return false;
  }
}, 'each origin must be scheme://host[:port] with nothing after it');

const regex = z.string().transform((src, ctx) => {
  try {
    // Anchored at both ends whatever was written, so `x.pages.dev.evil.com` can never match.
    return new RegExp(`^(?:${src.replace(/^\^/, '').replace(/\$$/, '')})$`);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `does not compile: ${(err as Error).message}` });
    return z.NEVER;
  }
});

const encryptionKey = z.string().transform((v, ctx) => {
  const key = Buffer.from(v, 'base64');
  if (key.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, base64-encoded' });
    return z.NEVER;
  }
  return key;
});

const jwkSet = z.string().transform((v, ctx) => {
  try {
    const parsed: unknown = JSON.parse(v);
    const keys = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || keys.length === 0) throw new Error('no keys');
    for (const k of keys as Record<string, unknown>[]) {
      if (k.kty !== 'EC' || k.crv !== 'P-256' || typeof k.d !== 'string' || typeof k.kid !== 'string') {
        throw new Error('each key must be an ES256 (EC P-256) private JWK with a kid');
      }
    }
    return keys as JsonWebKey[];
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `expected a JWK set of ES256 private keys: ${(err as Error).message}` });
    return z.NEVER;
  }
});

const commaList = (v: string) => v.split(',').map((item) => item.trim()).filter(Boolean);

const supporterSources = z.string().transform((v, ctx): SupporterSourceName[] => {
  const names = commaList(v);
  const unknown = names.find((name) => !SUPPORTER_SOURCE_NAMES.includes(name as SupporterSourceName));
  if (names.length === 0 || unknown !== undefined || new Set(names).size !== names.length) {
    ctx.addIssue({
      code: 'custom',
      message: `expected distinct comma-separated names among ${SUPPORTER_SOURCE_NAMES.join(', ')}, got "${v}"`,
    });
    return z.NEVER;
  }
  return names as SupporterSourceName[];
});

const didList = z.string().transform((v, ctx) => {
  const dids = commaList(v);
  const bad = dids.find((did) => !isDid(did));
  if (dids.length === 0 || bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: `expected comma-separated did:plc / did:web DIDs, got "${bad ?? v}"` });
    return z.NEVER;
  }
  return [...new Set(dids)];
});

/** broker.atmosphere.money, the broker plyr.fm trusts. */
const DEFAULT_TRUSTED_BROKERS = ['did:plc:7srqsetux75b6flzbbyag2ro'];

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

const trustProxy = z.string().transform((v): boolean | number | string => {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
});

/** Five crontab time fields, each in its range (graphile-worker's syntax: numbers, `*`, ranges, steps, lists). */
const CRON_FIELDS: Array<[string, number, number]> = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 6],
];
const cronSchedule = z.string().transform((text, ctx): string | null => {
  const value = text.trim().replace(/\s+/g, ' ');
  if (value === 'off') return null;
  const fields = value.split(' ');
  const bad = (message: string) => {
    ctx.addIssue({ code: 'custom', message: `expected five crontab fields (e.g. "0 * * * *") or "off": ${message}` });
    return z.NEVER;
  };
  if (fields.length !== 5) return bad(`got ${fields.length} fields in "${text}"`);
  for (const [i, field] of fields.entries()) {
    const [name, min, max] = CRON_FIELDS[i]!;
    for (const part of field.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      const numbers = m ? [m[2], m[3]].filter((n) => n !== undefined).map(Number) : [];
      if (!m || numbers.some((n) => n < min || n > max) || (m[4] !== undefined && Number(m[4]) < 1)) {
        return bad(`the ${name} field "${field}" is not ${min}-${max}, *, a range, a step or a list of them`);
      }
    }
  }
  return value;
});

const schema = z.object({
  APP_ENV: z.enum(APP_ENVS).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: url.default('http://localhost:3000'),
  FRONTEND_URL: url.default('http://localhost:5173'),
  CORS_ORIGINS: z.string().optional(),
  CORS_ORIGIN_REGEX: regex.optional(),
  TRUST_PROXY: trustProxy.optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, message: 'expected a postgres:// URL' }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, message: 'expected a redis:// URL' }).optional(),
  S3_ENDPOINT: url.optional(),
  S3_REGION: z.string().min(1).default('auto'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_FORCE_PATH_STYLE: bool.default(true),
  S3_PUBLIC_BUCKET: z.string().min(3).default('plyr-audio'),
  S3_PRIVATE_BUCKET: z.string().min(3).default('plyr-audio-private'),
  CDN_BASE_URL: url.optional(),
  PRESIGNED_URL_TTL_SECONDS: positiveInt(7 * 24 * 3600).default(300),
  ATPROTOFANS_URL: url.default('https://atprotofans.com'),
  SUPPORTER_CACHE_TTL_SECONDS: positiveInt(86_400).default(60),
  SUPPORTER_SOURCES: supporterSources.default(['attested', 'atprotofans']),
  ATTESTED_TRUSTED_BROKERS: didList.default(DEFAULT_TRUSTED_BROKERS),
  RATE_LIMIT_ENABLED: bool.default(true),
  RATE_LIMIT_DEFAULT: rateLimit.default({ limit: 100, windowMs: 60_000, text: '100/minute' }),
  RATE_LIMIT_AUTH: rateLimit.default({ limit: 10, windowMs: 60_000, text: '10/minute' }),
  RATE_LIMIT_UPLOAD: rateLimit.default({ limit: 20, windowMs: 60_000, text: '20/minute' }),
  SESSION_ENCRYPTION_KEY: encryptionKey.optional(),
  OAUTH_PRIVATE_KEYS: jwkSet.optional(),
  ATPROTO_PLC_URL: url.default('https://plc.directory'),
  ATPROTO_HANDLE_RESOLVER: url.default('https://bsky.social'),
  DATA_DIR: z.string().min(1).default('.data'),
  MAX_UPLOAD_BYTES: positiveInt(5 * 1024 ** 3).default(200 * 1024 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Run the job worker inside the API process (default); set false when a separate `worker` runs. */
  WORKER_ENABLED: bool.default(true),
  /** When the worker runs the drift check (crontab time fields), or `off`. */
  RECONCILE_SCHEDULE: cronSchedule.default('0 * * * *'),
  /** After SIGTERM, /ready fails but requests are served this long, so a balancer takes the instance out first. */
  SHUTDOWN_DRAIN_SECONDS: z.coerce.number().min(0).max(300).default(5),
  /** Prometheus `/metrics` listener; unset means none. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

export type Env = ReturnType<typeof loadEnv>;

export class EnvError extends Error {
  override name = 'EnvError';
}

const blankToUndefined = (source: NodeJS.ProcessEnv) =>
  Object.fromEntries(Object.entries(source).map(([k, v]) => [k, v === '' ? undefined : v]));

/** Parses the environment; throws EnvError whose message is one line naming the variable. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env) {
  const parsed = schema.safeParse(blankToUndefined(source));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new EnvError(`invalid environment: ${name}: ${issue.message}`);
  }
  const e = parsed.data;
  const fail = (name: string, message: string): never => {
    throw new EnvError(`invalid environment: ${name}: ${message}`);
  };

  const corsDefaults = DEFAULT_CORS[e.APP_ENV];
  const corsOrigins = e.CORS_ORIGINS
    ? e.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean)
    : corsDefaults.origins;
  for (const o of corsOrigins) {
    if (!origin.safeParse(o).success) fail('CORS_ORIGINS', `"${o}" is not an origin (scheme://host[:port])`);
  }
  const corsOriginRegex = e.CORS_ORIGIN_REGEX ?? (corsDefaults.regex ? regex.parse(corsDefaults.regex) : null);

  const production = e.APP_ENV === 'production';
  if (production) {
    if (!e.SESSION_ENCRYPTION_KEY) fail('SESSION_ENCRYPTION_KEY', 'required in production (32 bytes, base64)');
    if (!e.OAUTH_PRIVATE_KEYS) fail('OAUTH_PRIVATE_KEYS', 'required in production (ES256 JWK set)');
    if (!e.PUBLIC_URL.startsWith('https://')) fail('PUBLIC_URL', 'must be https in production');
    if (!e.DATABASE_URL) fail('DATABASE_URL', 'required in production');
    if (!e.S3_ENDPOINT) fail('S3_ENDPOINT', 'required in production');
  }
  if (e.S3_ENDPOINT && (!e.S3_ACCESS_KEY_ID || !e.S3_SECRET_ACCESS_KEY)) {
    fail(e.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID', 'required when S3_ENDPOINT is set');
  }

  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) fail('METRICS_PORT', 'must differ from PORT');
  if (!LOOPBACK.test(e.METRICS_HOST) && !e.METRICS_TOKEN) {
    fail('METRICS_HOST', 'a non-loopback metrics listener needs METRICS_TOKEN');
  }

  const baseDir = source.INIT_CWD ?? process.cwd();
  return {
    appEnv: e.APP_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    frontendUrl: e.FRONTEND_URL,
    corsOrigins,
    corsOriginRegex,
    trustProxy: e.TRUST_PROXY ?? false,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    s3: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      publicBucket: e.S3_PUBLIC_BUCKET,
      privateBucket: e.S3_PRIVATE_BUCKET,
    },
    cdnBaseUrl: e.CDN_BASE_URL,
    presignTtlSeconds: e.PRESIGNED_URL_TTL_SECONDS,
    atprotofansUrl: e.ATPROTOFANS_URL,
    supporterCacheTtlSeconds: e.SUPPORTER_CACHE_TTL_SECONDS,
    supporterSources: e.SUPPORTER_SOURCES,
    attestedTrustedBrokers: e.ATTESTED_TRUSTED_BROKERS,
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED,
      default: e.RATE_LIMIT_DEFAULT,
      auth: e.RATE_LIMIT_AUTH,
      upload: e.RATE_LIMIT_UPLOAD,
    },
    sessionEncryptionKey: e.SESSION_ENCRYPTION_KEY ?? null,
    oauthPrivateKeys: e.OAUTH_PRIVATE_KEYS ?? null,
    plcUrl: e.ATPROTO_PLC_URL,
    handleResolver: e.ATPROTO_HANDLE_RESOLVER,
    dataDir: isAbsolute(e.DATA_DIR) ? e.DATA_DIR : resolve(baseDir, e.DATA_DIR),
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    logLevel: e.LOG_LEVEL,
    workerEnabled: e.WORKER_ENABLED,
    reconcileSchedule: e.RECONCILE_SCHEDULE,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_SECONDS * 1000,
    metrics: e.METRICS_PORT === undefined ? null : { port: e.METRICS_PORT, host: e.METRICS_HOST, token: e.METRICS_TOKEN ?? null },
    cookieSecure: !/^http:\/\/localhost(:\d+)?$/.test(e.FRONTEND_URL),
  };
}

/** For entry points: the parsed environment, or one line on stderr naming the bad variable and exit 1. */
export function loadEnvOrExit(): Env {
  try {
    return loadEnv();
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
