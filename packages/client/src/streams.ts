/** Bytes from a browser or Node source: a web stream, or any async iterable (e.g. `fs.createReadStream`). */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Largest piece handed on at once: an in-memory Blob arrives as one chunk, and progress needs steps. */
const MAX_PIECE_BYTES = 64 * 1024;

/**
 * A pull-based copy of `source`, in pieces of at most 64 KiB, that calls `onChunk` as each piece is
 * taken by the consumer, so the count follows what the network has actually read (pull runs only
 * when the queue is empty).
 */
export function countingStream(source: ByteSource, onChunk: (bytes: number) => void): ReadableStream<Uint8Array> {
  const next = chunkReader(source);
  let pending: Uint8Array | null = null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        while (!pending?.byteLength) {
          pending = await next.read();
          if (pending === null) {
            controller.close();
            return;
          }
        }
        const piece = pending.subarray(0, MAX_PIECE_BYTES);
        pending = pending.subarray(piece.byteLength);
        controller.enqueue(piece);
        onChunk(piece.byteLength);
      },
      cancel: (reason) => next.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

interface ChunkReader {
  read(): Promise<Uint8Array | null>;
  cancel(reason: unknown): Promise<void>;
}

// Safari's ReadableStream is not async-iterable, so web streams are read through their reader.
function chunkReader(source: ByteSource): ChunkReader {
  if ('getReader' in source) {
    const reader = source.getReader();
    return {
      read: async () => {
        const { done, value } = await reader.read();
        return done ? null : value;
      },
      cancel: (reason) => reader.cancel(reason),
    };
  }
  const iterator = source[Symbol.asyncIterator]();
  return {
    read: async () => {
      const { done, value } = await iterator.next();
      return done ? null : value;
    },
    cancel: async (reason) => {
      await iterator.return?.(reason);
    },
  };
}
