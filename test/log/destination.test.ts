import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { StreamDestination } from '../../src/log/destination.js';
import { pipe } from './pipes.js';
import { turn } from '../clock.js';

const line = (i: number): string => `line ${String(i).padStart(6, '0')} ${'x'.repeat(88)}\n`;

t.test('a stream gets every line', async (t) => {
  const stream = new PassThrough();
  const d = new StreamDestination(stream);
  d.write(line(0));
  d.write(line(1));
  t.equal(String(stream.read() as Buffer), line(0) + line(1));
  t.equal(d.dropped, 0);
});

t.test('a socket on a pipe whose reader exits (EPIPE): lines are lost and counted, no error escapes', async (t) => {
  const p = pipe(t, { keepWriter: true });
  const socket = new net.Socket({ fd: p.writeFd, readable: false, writable: true });
  t.teardown(() => socket.destroy());
  const d = new StreamDestination(socket);
  d.write(line(0));
  // The socket writes to the pipe as the event loop turns: no time needs to pass.
  let arrived = p.drain();
  while (arrived.length < line(0).length) arrived += (await turn(), p.drain());
  t.equal(arrived, line(0), 'the line before the reader left arrived');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  p.closeReader();
  for (let i = 1; i <= 20; i++) d.write(line(i));
  // The failed write destroys the socket (events.once would reject on its error).
  await closed;
  t.equal(d.failed, 'EPIPE', 'the destination knows its reader is gone');
  for (let i = 21; i <= 30; i++) d.write(line(i));
  t.equal(d.dropped, 30, 'every line after the reader left is counted');
});

t.test("the stream's queue is bounded: past it, lines are dropped and counted", async (t) => {
  // A writer that never finishes a write: everything after the first chunk waits in Node's queue.
  const stalled = new Writable({ write: () => undefined });
  const d = new StreamDestination(stalled, 1_000);
  for (let i = 0; i < 100; i++) d.write(line(i));
  t.ok(stalled.writableLength <= 1_000, `the queue stays within its bound (${stalled.writableLength} bytes)`);
  t.equal(d.dropped, 100 - stalled.writableLength / line(0).length, 'every line not queued is counted');
});

t.test('a write that throws, or fails later (ENOSPC), loses the line and nothing else', async (t) => {
  const throwing = { write: (): never => { throw Object.assign(new Error('no space'), { code: 'ENOSPC' }); } };
  const d = new StreamDestination(throwing);
  d.write(line(0));
  t.equal(d.dropped, 1);
  t.equal(d.failed, 'ENOSPC');

  const full = fs.createWriteStream('/dev/full');
  t.teardown(() => full.destroy());
  const f = new StreamDestination(full);
  const closed = new Promise<void>((resolve) => full.once('close', () => resolve()));
  for (let i = 0; i < 3; i++) f.write(line(i));
  // The failed write destroys the stream; the writes queued behind it fail with it.
  await closed;
  t.equal(f.failed, 'ENOSPC');
  t.equal(f.dropped, 3, 'each line is counted once');
});
