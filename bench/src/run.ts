import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@plyr/testing';
import { startInfra, type BenchInfra } from './infra.js';
import { BenchUsageError, parseOptions, type BenchOptions } from './options.js';
import { formatProfileSummary, summarizeProfile } from './profile/summarize.js';
import { killAllServers, startServer, type ServerProcess } from './processes.js';
import { buildReports, checksPassed, formatTable } from './report.js';
import { SCENARIOS, type BenchContext, type Measurement, type Scenario, type ServerKind } from './scenarios.js';
import { seed } from './seed.js';

class BenchInterrupted extends Error {
  override name = 'BenchInterrupted';
  constructor(signal: string) {
    super(`interrupted by ${signal}`);
  }
}

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const SERVER_DIR = join(BENCH_DIR, '..', 'apps', 'server');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const PROFILES_DIR = join(BENCH_DIR, 'profiles');
/** Never fetched: redirects are checked, not followed. */
const CDN_BASE_URL = 'https://cdn.bench.plyr.invalid';
const FRONTEND_ORIGIN = 'http://localhost:5173';
/** High enough never to trip during a run, so the limiter's cost is measured with it on. */
const UNTRIPPABLE_LIMIT = '9999999/minute';
/** One key for every API process of a run: they are instances of one deployment. */
const SESSION_ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** The API's environment: SPEC.md variables, production-like where the bench allows it. */
function serverEnv(infra: BenchInfra, port: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    APP_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    FRONTEND_URL: FRONTEND_ORIGIN,
    DATABASE_URL: infra.serverDatabaseUrl,
    REDIS_URL: infra.redisUrl,
    ...infra.s3Env,
    CDN_BASE_URL,
    ATPROTOFANS_URL: infra.atprotofans.url,
    // The bench's viewers exist only at the stand-in atprotofans; there is no PLC directory to ask.
    SUPPORTER_SOURCES: 'atprotofans',
    SESSION_ENCRYPTION_KEY,
    DATA_DIR: join(infra.workDir, 'api-data'),
    LOG_LEVEL: 'info',
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_DEFAULT: UNTRIPPABLE_LIMIT,
    RATE_LIMIT_AUTH: UNTRIPPABLE_LIMIT,
    RATE_LIMIT_UPLOAD: UNTRIPPABLE_LIMIT,
  };
}

async function startKind(kind: ServerKind, name: string, infra: BenchInfra, options: BenchOptions): Promise<ServerProcess> {
  const port = await freePort();
  const common = { name, port, logDir: infra.workDir, ...(options.profile ? { cpuProfileDir: PROFILES_DIR } : {}) };
  switch (kind) {
    case 'ceiling':
      return startServer({ ...common, entry: join(BENCH_DIR, 'src/servers/ceiling.ts'), cwd: BENCH_DIR, env: { PORT: String(port), CDN_BASE_URL }, readyPath: '/health' });
    case 'floor':
      return startServer({ ...common, entry: join(BENCH_DIR, 'src/servers/floor.ts'), cwd: BENCH_DIR, env: serverEnv(infra, port), readyPath: '/health' });
    case 'api':
      return startServer({
        ...common,
        entry: join(SERVER_DIR, 'dist/main.mjs'),
        cwd: SERVER_DIR,
        env: { ...serverEnv(infra, port), ...options.apiEnv },
        readyPath: '/health',
      });
  }
}

/**
 * Runs the scenarios in order. The references get a process each; the API scenarios share one API
 * process (so caches are as warm as in production), or with --profile get one each, so every
 * profile shows one hot path.
 */
async function runScenarios(ctx: BenchContext, scenarios: Scenario[], measured: Array<{ name: string; measurement: Measurement }>) {
  let shared: ServerProcess | null = null;
  const reportProfile = (name: string, measurement: Measurement) => {
    const file = join(PROFILES_DIR, `${name}.cpuprofile`);
    // A process killed after its stop timeout (a slow shutdown on a loaded machine) writes none: say so, keep running.
    if (!existsSync(file)) return console.log(`  profile: none written for ${name} (the API did not exit in time)`);
    const profile = summarizeProfile(file, measurement.window);
    const summary = formatProfileSummary(name, profile, measurement.window ? measurement.load?.requests : undefined);
    writeFileSync(join(PROFILES_DIR, `${name}.txt`), `${summary}\n`);
    console.log(`  profile: bench/profiles/${name}.cpuprofile, summary in bench/profiles/${name}.txt`);
  };
  try {
    for (const scenario of scenarios) {
      const ownProcess = scenario.server !== 'api' || ctx.options.profile;
      let server: ServerProcess;
      if (ownProcess) server = await startKind(scenario.server, scenario.name, ctx.infra, ctx.options);
      else server = shared ??= await startKind('api', 'api', ctx.infra, ctx.options);
      const started = Date.now();
      process.stdout.write(`${scenario.name}… `);
      let measurement: Measurement;
      try {
        measurement = await scenario.run(server, ctx);
      } finally {
        if (ownProcess) await server.stop();
      }
      const { load, skipped, latency } = measurement;
      const figures = load ? `${load.rps} req/s, p99 ${load.p99Ms} ms` : `p99 ${latency?.p99Ms} ms`;
      console.log(skipped ? `skipped: ${skipped}` : `${figures} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      if (ownProcess && ctx.options.profile) reportProfile(scenario.name, measurement);
      measured.push({ name: scenario.name, measurement });
    }
  } finally {
    await shared?.stop();
  }
  return measured;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const started = Date.now();
  const loadBefore = loadavg()[0]!;
  const scenarios = SCENARIOS.filter((s) => s.server !== 'api' || !options.only || options.only.has(s.name));
  if (options.profile) mkdirSync(PROFILES_DIR, { recursive: true });

  const infra = await startInfra();
  // Ctrl-C or a timeout: still drop the database and stop every process this run started.
  const interrupted = new Promise<never>((_, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        killAllServers();
        reject(new BenchInterrupted(signal));
      });
    }
  });
  try {
    process.stdout.write('seeding… ');
    const fixture = await seed(infra.db.db);
    infra.atprotofans.setSupporters(fixture.supporterPairs);
    console.log(`done (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const measured: Array<{ name: string; measurement: Measurement }> = [];
    const ctx: BenchContext = {
      options,
      fixture,
      infra,
      cdnBaseUrl: CDN_BASE_URL,
      frontendOrigin: FRONTEND_ORIGIN,
      rpsOf: (name) => measured.find((m) => m.name === name)?.measurement.load?.rps ?? null,
      startApi: (name) => startKind('api', name, infra, options),
    };
    const reports = buildReports(await Promise.race([runScenarios(ctx, scenarios, measured), interrupted]));

    console.log(`\n${formatTable(reports)}\n`);
    const date = new Date().toISOString().slice(0, 10);
    // Runs not in the default shape are not comparable with the committed ones: kept apart, not committed.
    const suffix = options.profile ? '.profile' : options.custom ? '.custom' : '';
    const file = join(RESULTS_DIR, `${date}${suffix}.json`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const run = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        // Other work on the machine skews every figure: a 1-minute load average well above 2 means a noisy run.
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg()[0]!,
      },
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
      memoryRequests: options.memoryRequests,
      profiled: options.profile,
      apiEnvOverrides: options.apiEnv,
      totalSeconds: Math.round((Date.now() - started) / 1000),
      scenarios: reports,
    };
    writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
    console.log(`wrote ${file} (${run.totalSeconds} s in all)`);
    const failed = reports.filter((r) => !checksPassed(r)).map((r) => r.name);
    if (failed.length) console.error(`checks failed: ${failed.join(', ')}`);
    return failed.length ? 1 : 0;
  } finally {
    await infra.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof BenchUsageError || err instanceof BenchInterrupted ? err.message : err);
    process.exit(err instanceof BenchInterrupted ? 130 : 2);
  },
);
