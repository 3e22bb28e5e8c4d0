export type { CoreConfig } from './config.js';
export type { Services } from './services.js';
