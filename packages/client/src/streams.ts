/** Bytes from a browser or Node source: a web stream, or any async iterable (e.g. `fs.createReadStream`). */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * A pull-based copy of `source` that calls `onChunk` as each chunk is taken by the consumer, so the
 * count follows what the network has actually read (pull runs only when the queue is empty).
 */
export function countingStream(source: ByteSource, onChunk: (bytes: number) => void): ReadableStream<Uint8Array> {
  const next = chunkReader(source);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = await next.read();
        if (chunk === null) {
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        onChunk(chunk.byteLength);
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
