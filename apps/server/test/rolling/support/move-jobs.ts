import { Redis } from 'ioredis';
import { QUEUE_NAME } from '@plyr/core/jobs/bullmq';

export interface MoveJob {
  id: string;
  trackId: string;
  state: 'completed' | 'failed' | 'other';
  attemptsMade: number;
}

/** Every `track-move` job of these tracks, as BullMQ keeps them in Redis (`bull:<queue>:<id>` hashes). */
export async function moveJobsOf(redisUrl: string, trackIds: string[]): Promise<MoveJob[]> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const prefix = `bull:${QUEUE_NAME}`;
    const completed = new Set(await redis.zrange(`${prefix}:completed`, 0, -1));
    const failed = new Set(await redis.zrange(`${prefix}:failed`, 0, -1));
    const pending = [
      ...(await redis.lrange(`${prefix}:wait`, 0, -1)),
      ...(await redis.lrange(`${prefix}:active`, 0, -1)),
      ...(await redis.zrange(`${prefix}:delayed`, 0, -1)),
    ];
    const wanted = new Set(trackIds);
    const jobs: MoveJob[] = [];
    for (const id of new Set([...completed, ...failed, ...pending])) {
      const hash = await redis.hgetall(`${prefix}:${id}`);
      if (hash.name !== 'track-move') continue;
      const trackId = (JSON.parse(hash.data ?? '{}') as { trackId?: string }).trackId ?? '';
      if (!wanted.has(trackId)) continue;
      const state = completed.has(id) ? 'completed' : failed.has(id) ? 'failed' : 'other';
      jobs.push({ id, trackId, state, attemptsMade: Number(hash.atm ?? 0) });
    }
    return jobs;
  } finally {
    redis.disconnect();
  }
}
