export * from './env.js';
export * from './database.js';
export * from './redis.js';
