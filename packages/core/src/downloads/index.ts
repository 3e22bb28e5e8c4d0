export {
  downloadLikedTracks,
  downloadTrack,
  presignTrackDownload,
  type DownloadDenial,
  type LikedTrackDownload,
  type TrackDownload,
  type TrackDownloadResult,
} from './download.js';
export { asciiFilename, attachmentDisposition, cleanFilenamePart, downloadFilename, MAX_FILENAME_BYTES } from './filename.js';
export { getDownloadPreferences, setDownloadPreferences, type DownloadPreferences } from './preferences.js';
