import type { LoadRequest } from './load/job.js';

export const cookie = (token: string) => ({ cookie: `session_id=${token}` });

/** GET goes through autocannon; HEAD needs the undici client (autocannon waits for a HEAD answer's body). */
export const audio = (fileIds: readonly string[], headers?: Record<string, string>, method: 'GET' | 'HEAD' = 'GET'): LoadRequest[] =>
  fileIds.map((id) => ({ method, path: `/audio/${id}`, ...(headers ? { headers } : {}) }));
