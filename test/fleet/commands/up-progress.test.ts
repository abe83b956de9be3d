// fleet up's progress: quarters and the bar (tables), lines for pipes, the line on a terminal.
import { PassThrough } from 'node:stream';
import t from 'tap';
import { ProgressLine } from '../../../src/cli/progress-line.js';
import { PLAIN_EVERY_MS, UpProgress, progressText, quarter } from '../../../src/fleet/commands/up-progress.js';
import { Logger } from '../../../src/log.js';
import type { LogDestination } from '../../../src/log/destination.js';

t.test('quarters of the way', async (t) => {
  const cases: [ready: number, desired: number, quarter: number][] = [
    [0, 4, 0],
    [1, 4, 1],
    [3, 4, 3],
    [4, 4, 4],
    [24, 100, 0],
    [25, 100, 1],
    [99, 100, 3],
    [1, 3, 1],
    [2, 3, 2],
    [5, 4, 4],
  ];
  for (const [ready, desired, want] of cases) t.equal(quarter(ready, desired), want, `${ready} of ${desired} is quarter ${want}`);
});

t.test('the bar', async (t) => {
  t.equal(progressText(0, 50), '[....................] 0/50 members ready');
  t.equal(progressText(25, 50), '[##########..........] 25/50 members ready');
  t.equal(progressText(60, 50), '[####################] 50/50 members ready', 'more ready than desired (adopted) shows full');
});

function plain(now: () => number) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const log = new Logger({ level: 'INFO', stream, now: () => new Date(0) });
  return { progress: new UpProgress(100, log, undefined, now), lines: () => text.split('\n').filter(Boolean) };
}

t.test('in a pipe: a plain line at each quarter, and every few seconds while the count moves', async (t) => {
  let clock = 0;
  const { progress, lines } = plain(() => clock);
  for (let ready = 0; ready <= 100; ready++) progress.update(ready);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(
    lines().map((l) => l.replace(/^\S+ /, '')),
    [25, 50, 75, 100].map((ready) => `INFO fleet.progress ready=${ready} desired=100`),
    'four lines, at 25, 50, 75 and 100%',
  );
  t.notOk(lines().join('').includes('\r'), 'no carriage return');

  const slow = plain(() => clock);
  clock = PLAIN_EVERY_MS - 1;
  slow.progress.update(3);
  clock = PLAIN_EVERY_MS;
  slow.progress.update(4);
  slow.progress.update(4);
  clock = 2 * PLAIN_EVERY_MS - 1;
  slow.progress.update(5);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(
    slow.lines().map((l) => l.replace(/^\S+ /, '')),
    ['INFO fleet.progress ready=4 desired=100'],
    'a slow start says where it is every few seconds, once per change',
  );
});

t.test('on a terminal: the line is redrawn for each change and cleared at the end', async (t) => {
  const chunks: string[] = [];
  const inner: LogDestination = { write: (line) => void chunks.push(line), dropped: 0, backlog: 0, failed: undefined };
  const line = new ProgressLine(inner);
  const log = new Logger({ level: 'INFO', destination: line, now: () => new Date(0) });
  const progress = new UpProgress(2, log, line);
  progress.update(0);
  progress.update(0);
  progress.update(1);
  log.info('member.state', { to: 'up' });
  progress.update(2);
  progress.end();
  progress.update(1);
  t.same(chunks, [
    '\r\x1b[K[....................] 0/2 members ready\r',
    '\r\x1b[K[##########..........] 1/2 members ready\r',
    '\r\x1b[K1970-01-01T00:00:00.000Z INFO member.state to=up\n[##########..........] 1/2 members ready\r',
    '\r\x1b[K[####################] 2/2 members ready\r',
    '\r\x1b[K',
  ]);
});
