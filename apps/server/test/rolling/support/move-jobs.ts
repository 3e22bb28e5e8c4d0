import type { ChildHandle } from '../../reliability/support/child.js';
import { logRecords } from '../../cluster/support/cluster.js';

export interface MoveJob {
  id: string;
  trackId: string;
  state: 'completed' | 'failed' | 'other';
  attemptsMade: number;
}

/**
 * Every `track-move` job of these tracks, as the workers reported them: one log line per attempt
 * that ended ('job done', 'job attempt failed; retrying', 'job failed for good'), with the job key
 * (`track-sync:<id>` for a change, `track-record:<id>` for a finalize's record write).
 */
export function moveJobsOf(processes: ChildHandle[], trackIds: string[]): MoveJob[] {
  const wanted = new Set(trackIds);
  const jobs = new Map<string, MoveJob>();
  for (const r of processes.flatMap((p) => logRecords(p))) {
    if (r.job !== 'track-move' || typeof r.key !== 'string' || r.jobId === undefined) continue;
    const trackId = r.key.replace(/^track-(sync|record):/, '');
    if (!wanted.has(trackId)) continue;
    const id = String(r.jobId);
    const job = jobs.get(id) ?? { id, trackId, state: 'other', attemptsMade: 0 };
    job.attemptsMade = Math.max(job.attemptsMade, Number(r.attempt));
    job.state = r.msg === 'job done' ? 'completed' : r.msg === 'job failed for good' ? 'failed' : job.state;
    jobs.set(id, job);
  }
  return [...jobs.values()];
}
