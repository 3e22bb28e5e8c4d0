export { createPlyrClient, MAX_BATCH_ITEMS, type PlyrClient, type PlyrClientExtras, type Track } from './client.js';
export { DEFAULT_TIMEOUT_MS, type FetchFunction, type HeadersOption, type PlyrClientOptions } from './connection.js';
export { isPlyrError, PlyrTransferError, type PlyrError, type PlyrErrorCode, type TransferKind } from './errors.js';
export { audioUrl, canPlay, isPublicAt, shouldAutoDownload, type AudioAccess, type GatedTrack, type PreflightTarget } from './gating.js';
export type { PlyrRouter, RouterInputs, RouterOutputs } from './router.js';
export type { ByteSource } from './streams.js';
export type { FileFacts, SupportGate, TrackDetails, UploadOptions, UploadProgress, UploadSource } from './upload.js';
export type {
  DownloadLikedOptions,
  DownloadProgress,
  DownloadSummary,
  LikedTrackResult,
  SkipReason,
  TrackDownload,
} from './downloads.js';
