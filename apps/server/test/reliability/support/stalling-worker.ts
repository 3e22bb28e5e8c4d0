/**
 * A job worker process (the product's queue and move steps, same environment variables as the API)
 * that stops dead at one step of each planned move and prints `at <step> <trackId>`, so the test
 * can SIGKILL it exactly there. STALL_PLAN is `<trackId>=<afterCopy|beforeDeleteSource|beforeRecordWrite>,…`.
 */
import { createJobs, defineJob } from '@plyr/core/jobs/index';
import { syncTrack, type MoveHooks } from '@plyr/core/tracks/index';
import { createAppContext, loadEnv } from '../../../src/index.js';

type Step = keyof MoveHooks;
const plan = new Map(
  (process.env.STALL_PLAN ?? '').split(',').filter(Boolean).map((entry) => entry.split('=') as [string, Step]),
);
const env = loadEnv();
const { services } = await createAppContext(env, { runWorker: false });
const { jobs: _enqueueOnly, ...base } = services;
const stallAt = (step: Step, trackId: string) => async () => {
  process.stdout.write(`at ${step} ${trackId}\n`);
  await new Promise(() => {});
};
const hooksFor = (trackId: string): MoveHooks => {
  const step = plan.get(trackId);
  return step ? { [step]: stallAt(step, trackId) } : {};
};
await createJobs(base, {
  redisUrl: env.redisUrl!,
  runWorker: true,
  processors: {
    'track-move': defineJob({ attempts: 10, process: (data, ctx) => syncTrack(ctx.services, data, hooksFor(data.trackId)) }),
  },
});
process.stdout.write('ready\n');
