/**
 * A job worker process (the product's queue and move steps, same environment variables as the API)
 * that stops dead at one step of each planned move and prints `at <step> <trackId>`, so the test
 * can SIGKILL it exactly there. STALL_PLAN is `<trackId>=<afterCopy|beforeDeleteSource|beforeRecordWrite>,…`.
 */
import { syncTrack, type MoveHooks } from '@plyr/core/tracks';
import { createAppContext, loadEnv, startJobWorker } from '../../../src/index.js';

type Step = keyof MoveHooks;
const plan = new Map(
  (process.env.STALL_PLAN ?? '').split(',').filter(Boolean).map((entry) => entry.split('=') as [string, Step]),
);
const env = loadEnv();
const { services } = await createAppContext(env, { runWorker: false });
const stallAt = (step: Step, trackId: string) => async () => {
  process.stdout.write(`at ${step} ${trackId}\n`);
  await new Promise(() => {});
};
const hooksFor = (trackId: string): MoveHooks => {
  const step = plan.get(trackId);
  return step ? { [step]: stallAt(step, trackId) } : {};
};
await startJobWorker({
  databaseUrl: env.databaseUrl!,
  deps: services,
  processors: { 'track-move': (data) => syncTrack(services, data, hooksFor(data.trackId)) },
});
process.stdout.write('ready\n');
