import { isTRPCClientError, type TRPCClientError } from '@trpc/client';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import type { PlyrRouter } from './router.js';

/** A tRPC error code the API answers with, e.g. `UNAUTHORIZED`, `PAYMENT_REQUIRED`, `TOO_MANY_REQUESTS`. */
export type PlyrErrorCode = TRPC_ERROR_CODE_KEY;

type ErrorData = NonNullable<TRPCClientError<PlyrRouter>['data']>;

/** An error the API answered with; `data.code` says what to do about it (see `isPlyrError`). */
export type PlyrError<TCode extends PlyrErrorCode = PlyrErrorCode> = TRPCClientError<PlyrRouter> & {
  readonly data: ErrorData & { readonly code: TCode };
};

/**
 * True when `err` is an answer from the API, with this code if one is given: tells "sign in"
 * (`UNAUTHORIZED`) from "become a supporter" (`PAYMENT_REQUIRED`) from "try later"
 * (`SERVICE_UNAVAILABLE`, `TOO_MANY_REQUESTS`) without matching messages.
 */
export function isPlyrError<TCode extends PlyrErrorCode = PlyrErrorCode>(err: unknown, code?: TCode): err is PlyrError<TCode> {
  if (!isTRPCClientError<PlyrRouter>(err)) return false;
  const actual = err.data?.code;
  return actual !== undefined && (code === undefined || actual === code);
}

/** Which side of a transfer failed: the PUT to storage during `uploadTrack`, or a GET in `downloadLikedTracks`. */
export type TransferKind = 'upload' | 'download';

/** A transfer to or from storage (a presigned URL, not the API) failed or timed out. */
export class PlyrTransferError extends Error {
  override readonly name = 'PlyrTransferError';
  constructor(
    readonly kind: TransferKind,
    /** The storage server's status, or null when no answer came (network error, timeout, abort). */
    readonly status: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
