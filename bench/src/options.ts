/**
 * How a run is shaped: `pnpm bench [--quick] [--profile] [--only=a,b]`; BENCH_DURATION=<seconds> sets
 * the measured time per scenario, BENCH_MEMORY_REQUESTS the size of the memory run, BENCH_API_<NAME>
 * an API variable.
 */
export interface BenchOptions {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Requests in the `memory` scenario. */
  memoryRequests: number;
  /** Each API scenario in an API process of its own started with --cpu-prof. */
  profile: boolean;
  /** Run only these scenarios (the references always run: every ratio needs them). */
  only: Set<string> | null;
  quick: boolean;
  /** BENCH_API_<NAME>=value sets <NAME> for the API process, to measure a configuration change (e.g. BENCH_API_LOG_LEVEL=warn). */
  apiEnv: Record<string, string>;
  /** Anything but the defaults: results are written beside the committed ones, not over them. */
  custom: boolean;
}

const API_ENV_PREFIX = 'BENCH_API_';

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

const USAGE = 'usage: pnpm bench [--quick] [--profile] [--only=name,name]   (BENCH_DURATION=<seconds> sets the measured time)';

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  let quick = false;
  let profile = false;
  let only: Set<string> | null = null;
  for (const arg of argv) {
    if (arg === '--') continue;
    if (arg === '--quick') quick = true;
    else if (arg === '--profile') profile = true;
    else if (arg.startsWith('--only=')) only = new Set(arg.slice('--only='.length).split(',').filter(Boolean));
    else throw new BenchUsageError(`unknown argument ${arg}\n${USAGE}`);
  }
  const duration = env.BENCH_DURATION ? Number(env.BENCH_DURATION) : quick ? 3 : 10;
  if (!Number.isFinite(duration) || duration < 1 || duration > 600) {
    throw new BenchUsageError(`BENCH_DURATION must be a number of seconds from 1 to 600, got "${env.BENCH_DURATION}"`);
  }
  const memoryRequests = env.BENCH_MEMORY_REQUESTS ? Number(env.BENCH_MEMORY_REQUESTS) : quick ? 20_000 : 200_000;
  if (!Number.isInteger(memoryRequests) || memoryRequests < 1_000) {
    throw new BenchUsageError(`BENCH_MEMORY_REQUESTS must be a whole number of at least 1000, got "${env.BENCH_MEMORY_REQUESTS}"`);
  }
  const apiEnv = Object.fromEntries(
    Object.entries(env)
      .filter(([name, value]) => name.startsWith(API_ENV_PREFIX) && value !== undefined)
      .map(([name, value]) => [name.slice(API_ENV_PREFIX.length), value!]),
  );
  const custom =
    quick || profile || only !== null || Object.keys(apiEnv).length > 0 || Boolean(env.BENCH_DURATION || env.BENCH_MEMORY_REQUESTS);
  return {
    connections: 50,
    warmupSeconds: quick ? 1 : 3,
    durationSeconds: duration,
    memoryRequests,
    profile,
    only,
    quick,
    apiEnv,
    custom,
  };
}
