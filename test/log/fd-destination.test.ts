import t from 'tap';
import fs from 'node:fs';
import { FdDestination, openFdDestination } from '../../src/log/fd-destination.js';
import { pipe, terminal } from './pipes.js';
import { testClock } from '../clock.js';

const line = (i: number): string => `line ${String(i).padStart(6, '0')} ${'x'.repeat(88)}\n`;

t.test('a pipe with a reader gets every line, in order', async (t) => {
  const p = pipe(t);
  const d = openFdDestination(p.writeFd)!;
  for (let i = 0; i < 100; i++) d.write(line(i));
  t.equal(p.drain(), Array.from({ length: 100 }, (_, i) => line(i)).join(''));
  t.equal(d.dropped, 0);
  t.equal(d.failed, undefined);
});

t.test('a pipe whose reader exits (EPIPE): lines are lost and counted, nothing is thrown', async (t) => {
  const p = pipe(t);
  const d = openFdDestination(p.writeFd)!;
  d.write(line(0));
  t.equal(p.drain(), line(0), 'the line before the reader left arrived');
  p.closeReader();
  for (let i = 1; i <= 50; i++) d.write(line(i));
  t.equal(d.failed, 'EPIPE', 'the destination knows its reader is gone');
  t.equal(d.dropped, 50, 'each line written after is counted');
  t.equal(d.backlog, 0, 'and nothing is kept for a reader that will not come back');
});

t.test('a pipe whose reader left before it was opened is failed from the start', async (t) => {
  const p = pipe(t);
  p.closeReader();
  const d = openFdDestination(p.writeFd)!;
  d.write(line(0));
  t.equal(d.failed, 'EPIPE');
  t.equal(d.dropped, 1);
});

t.test('a stalled reader (EAGAIN) never blocks a write; the queue is bounded and every line is delivered or counted', async (t) => {
  // The retry timer runs on a make-believe clock; its flush writes synchronously.
  const { clock } = testClock(t);
  const p = pipe(t);
  const max = 10_000;
  const d = openFdDestination(p.writeFd, max)!;
  const written = 2_000; // 200 KB: more than the pipe holds (64 KiB) plus the queue.
  // A blocking write would hang here, and the test would time out.
  for (let i = 0; i < written; i++) d.write(line(i));
  t.ok(d.backlog > 0 && d.backlog <= max, `the queue holds what the pipe refused, within its bound (${d.backlog} bytes)`);
  t.ok(d.dropped > 0, `lines beyond the bound are dropped (${d.dropped})`);
  t.equal(d.failed, undefined, 'a full pipe is not a failure');

  // The reader comes back: the queue drains on the retry timer.
  let received = p.drain();
  for (let i = 0; i < 100 && d.backlog > 0; i++) {
    clock.advance(20);
    received += p.drain();
  }
  received += p.drain();
  t.equal(d.backlog, 0, 'the queue drained once the reader read again');
  const lines = received.split('\n').filter(Boolean);
  t.equal(lines.length + d.dropped, written, 'delivered + dropped = written');
  t.ok(
    lines.every((l) => l.length === line(0).length - 1),
    'no line was torn',
  );
  const numbers = lines.map((l) => Number(l.split(' ')[1]));
  t.same(numbers, [...numbers].sort((a, b) => a - b), 'lines arrive in the order written');
});

t.test('a full device (ENOSPC) loses the line, counted, and the next is tried', async (t) => {
  const fd = fs.openSync('/dev/full', 'w');
  t.teardown(() => fs.closeSync(fd));
  const d = openFdDestination(fd)!;
  for (let i = 0; i < 5; i++) d.write(line(i));
  t.equal(d.dropped, 5);
  t.equal(d.failed, undefined, 'a full disk may have room later');
});

t.test('a closed descriptor (EBADF) fails the destination', async (t) => {
  const fd = fs.openSync('/dev/null', 'w');
  fs.closeSync(fd);
  const d = new FdDestination(fd);
  d.write(line(0));
  d.write(line(1));
  t.equal(d.failed, 'EBADF');
  t.equal(d.dropped, 2);
});

t.test('a regular file gets the lines through the descriptor itself', async (t) => {
  const dir = fs.mkdtempSync('/tmp/fleet-log-file-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fd = fs.openSync(`${dir}/log`, 'a');
  t.teardown(() => fs.closeSync(fd));
  const d = openFdDestination(fd)!;
  d.write(line(0));
  t.equal(fs.readFileSync(`${dir}/log`, 'utf8'), line(0));
});

t.test('a terminal on hold never blocks a write; one that closes (EIO) fails the destination', async (t) => {
  const tty = await terminal(t);
  const fd = fs.openSync(tty.device, fs.constants.O_WRONLY | fs.constants.O_NOCTTY);
  t.teardown(() => fs.closeSync(fd));
  const d = openFdDestination(fd, 10_000)!;
  // Node's own process.stderr blocks the whole process on such a terminal after a few KB.
  for (let i = 0; i < 2_000; i++) d.write(line(i));
  t.ok(d.backlog > 0 && d.backlog <= 10_000, `what the terminal refused waits, bounded (${d.backlog} bytes)`);
  t.ok(d.dropped > 0, 'the rest is dropped and counted');
  t.equal(d.failed, undefined);

  t.ok((await tty.read()) > 0, 'the terminal showed the first lines');
  await tty.hangup();
  const before = d.dropped;
  for (let i = 0; i < 10; i++) d.write(line(i));
  d.flush();
  t.equal(d.failed, 'EIO', 'the closed terminal is a failure for good');
  t.ok(d.dropped >= before + 10, 'every line after it is counted');
  t.equal(d.backlog, 0);
});
