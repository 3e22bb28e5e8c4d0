export * from './client.js';
export * as schema from './schema.js';
export * from './schema.js';
export { QueryTimeoutError } from './deadline.js';
export { LockWaitTimeoutError, type SessionLocks, type WithLockOptions } from './session-locks.js';
