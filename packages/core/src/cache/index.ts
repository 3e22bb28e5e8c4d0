export { createHotReads, type CredentialOwner, type HotReads } from './hot-reads.js';
export { createHotStore, type HotStore, type HotStoreDeps } from './store.js';
