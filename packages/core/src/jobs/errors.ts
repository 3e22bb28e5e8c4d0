/** Thrown by a processor when retrying cannot help (e.g. the thing it works on is gone for good). */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}
