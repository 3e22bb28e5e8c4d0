export * from './env.js';
export * from './database.js';
export * from './redis.js';
export * from './app.js';
export * from './secrets.js';
export * from './tcp-proxy.js';
export * from './atprotofans.js';
export * from './s3.js';
