// A request body is read before a member is picked, up to BUFFER_BYTES: a slow client
// then holds only its own connection, never one of a member's, and a body held in full can
// be sent again when a member fails. A larger body streams through as it arrives, bounded
// by the request deadline and the size limit.
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { codedError } from './member-agent.js';

/** Bodies up to this size are read whole before a member is picked. */
export const BUFFER_BYTES = 64 * 1024;

export type Body =
  | { kind: 'none' }
  | { kind: 'buffered'; data: Buffer }
  /** Replays are impossible: the stream is consumed by the first attempt. */
  | { kind: 'streaming'; stream: Readable }
  | { kind: 'too-large' }
  /** The client went away (or Node's request deadline closed it) before the body ended. */
  | { kind: 'aborted' };

/** Counts bytes through and fails the stream past `max`. */
function limit(max: number, seen: number): Transform {
  let total = seen;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      if (total > max) done(codedError('FLEET_BODY_TOO_LARGE', `the request body exceeds ${max} bytes`));
      else done(null, chunk);
    },
  });
}

export function readBody(req: IncomingMessage, length: 'none' | 'chunked' | number, maxBytes: number): Promise<Body> {
  if (length === 'none') return Promise.resolve({ kind: 'none' });
  if (typeof length === 'number' && length > maxBytes) return Promise.resolve({ kind: 'too-large' });
  // A declared length past the buffer streams at once: Node's parser stops at that length.
  if (typeof length === 'number' && length > BUFFER_BYTES) return Promise.resolve({ kind: 'streaming', stream: req });

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (body: Body): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(body);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      chunks.push(chunk);
      if (size > maxBytes) {
        finish({ kind: 'too-large' });
        return;
      }
      if (size <= BUFFER_BYTES) return;
      // Chunked and larger than the buffer: what was read goes first, the rest follows.
      req.pause();
      const out = new PassThrough();
      for (const piece of chunks) out.write(piece);
      const counter = limit(maxBytes, size);
      counter.on('error', (error) => out.destroy(error));
      req.pipe(counter).pipe(out);
      finish({ kind: 'streaming', stream: out });
    };
    const onEnd = (): void => finish({ kind: 'buffered', data: Buffer.concat(chunks, size) });
    const onClose = (): void => {
      if (!req.complete) finish({ kind: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}
