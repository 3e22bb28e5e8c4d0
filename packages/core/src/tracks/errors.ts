/** Why a track operation was refused; `code` names the client-facing category (tRPC codes). */
export type TrackErrorCode = 'NOT_FOUND' | 'FORBIDDEN' | 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE';

export class TrackError extends Error {
  override readonly name: string = 'TrackError';
  constructor(
    readonly code: TrackErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class TrackNotFoundError extends TrackError {
  override readonly name = 'TrackNotFoundError';
  constructor() {
    super('NOT_FOUND', 'No such track');
  }
}

export class NotTrackOwnerError extends TrackError {
  override readonly name = 'NotTrackOwnerError';
  constructor() {
    super('FORBIDDEN', 'Only the artist may change or delete this track');
  }
}

export class UploadNotFoundError extends TrackError {
  override readonly name = 'UploadNotFoundError';
  constructor() {
    super('NOT_FOUND', 'No such upload (it may have been finalized already or expired)');
  }
}

export class UploadTooLargeError extends TrackError {
  override readonly name = 'UploadTooLargeError';
  constructor(readonly maxBytes: number) {
    super('PAYLOAD_TOO_LARGE', `The file is larger than the limit of ${maxBytes} bytes`);
  }
}

/** Finalize came before the bytes, or the stored object is not what was announced. */
export class UploadNotReceivedError extends TrackError {
  override readonly name = 'UploadNotReceivedError';
}

export class NotAudioError extends TrackError {
  override readonly name = 'NotAudioError';
  constructor() {
    super('BAD_REQUEST', 'The file is not a supported audio file (MP3, M4A/AAC, FLAC, WAV, OGG/Opus)');
  }
}

export class InvalidCursorError extends TrackError {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('BAD_REQUEST', 'Invalid cursor');
  }
}
