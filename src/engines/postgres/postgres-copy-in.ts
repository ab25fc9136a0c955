import type { Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Data queued in the copy stream before write() asks the caller to wait for 'drain'. */
const HIGH_WATER_MARK = 256 * 1024;

/**
 * Runs `sql` (a `COPY ... FROM STDIN`) on `client`, sending `chunks` as they come with
 * backpressure. Resolves once the server has confirmed the whole COPY. When the server refuses
 * the data (a constraint, a bad value), rejects with pg's own error object, so its code, detail,
 * where and column stay readable; the connection stays usable (inside a transaction, the
 * transaction is aborted, as after any failed statement). When `chunks` itself throws, the COPY
 * is cancelled and that error is rethrown.
 */
export async function copyIn(client: pg.Client, sql: string, chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void> {
  const stream = client.query(copyFrom(sql, { highWaterMark: HIGH_WATER_MARK }));
  // The first error is the server's; writes after it fail with stream errors that say less.
  let failure: unknown;
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.on('error', (e) => {
    failure ??= e;
    // pg-copy-streams forgets the connection on a server error but would still flush queued
    // chunks to it on the socket's next 'drain' (a crash); the server drops such data anyway.
    (stream as unknown as { chunks: unknown[] }).chunks = [];
  });
  try {
    for await (const chunk of chunks) {
      if (failure !== undefined) break;
      if (chunk.length === 0) continue;
      if (!stream.write(chunk)) await drained(stream);
    }
  } catch (e) {
    if (failure === undefined) {
      // The source failed: cancel the COPY (CopyFail) and wait until the server has answered,
      // so the connection is ready for the caller's ROLLBACK.
      stream.destroy(e instanceof Error ? e : new Error(String(e)));
      await closed;
      throw e;
    }
  }
  if (failure === undefined) {
    await new Promise<void>((resolve) => {
      stream.once('finish', () => resolve());
      stream.once('error', () => resolve());
      stream.end();
    });
  }
  if (failure !== undefined) throw failure;
}

/** Waits until the stream wants more data, or until it failed or closed. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}
