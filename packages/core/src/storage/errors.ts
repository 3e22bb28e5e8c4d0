/** The storage did not answer (down, unreachable, wrong credentials or missing bucket). */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}

/** The object a read or copy needs is not in the bucket. */
export class StorageObjectNotFoundError extends Error {
  override readonly name = 'StorageObjectNotFoundError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`no object ${key} in bucket ${bucket}`, options);
  }
}
