export { createStorage, MAX_LIST_KEYS, PING_TIMEOUT_MS } from './storage.js';
export type { BucketName, ListedObject, Storage, StorageConfig, StoredObject } from './storage.js';
export { StorageObjectNotFoundError, StorageUnavailableError } from './errors.js';
export { sniffAudioFormat, AUDIO_SNIFF_BYTES } from './audio-format.js';
export type { AudioExtension, AudioFormat } from './audio-format.js';
