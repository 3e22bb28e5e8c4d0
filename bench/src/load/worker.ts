import { autocannonLoad } from './autocannon.js';
import type { LoadJob, LoadResult } from './job.js';
import { undiciLoad } from './undici.js';

/**
 * The load generator, in a process of its own so it never shares an event loop with a server under
 * test. Receives one LoadJob over IPC, answers with one LoadResult, exits.
 */
const fire = (job: LoadJob): Promise<LoadResult> => (job.client === 'undici' ? undiciLoad(job) : autocannonLoad(job));

// The runner went away (interrupted): stop firing at once.
process.once('disconnect', () => process.exit(0));

process.once('message', async (job: LoadJob) => {
  const result = await fire(job);
  process.send!(result, () => process.exit(0));
});
