import t from 'tap';
import { PassThrough } from 'node:stream';
import { LOG_LEVELS, type LogFields, type LogLevel, Logger, parseLogLevel } from '../src/log.js';
import { openFdDestination } from '../src/log/fd-destination.js';
import { pinoJson } from '../src/log/pino-json.js';
import { FleetError } from '../src/fleet/errors.js';
import { pipe } from './log/pipes.js';

const at = new Date('2026-11-23T01:02:03.456Z');
const now = (): Date => at;

function capture(options: { level: LogLevel; format?: 'text' | 'json'; json?: ReturnType<typeof pinoJson> }): { log: Logger; lines: () => string[] } {
  const stream = new PassThrough();
  const log = new Logger({ ...options, stream, now });
  return { log, lines: () => String(stream.read() ?? '').split('\n').filter(Boolean) };
}

t.test('a logger writes the lines at its level and above', async (t) => {
  const rows: { level: LogLevel; writes: string[] }[] = [
    { level: 'DEBUG', writes: ['DEBUG', 'INFO', 'WARNING', 'ERROR'] },
    { level: 'INFO', writes: ['INFO', 'WARNING', 'ERROR'] },
    { level: 'WARNING', writes: ['WARNING', 'ERROR'] },
    { level: 'ERROR', writes: ['ERROR'] },
  ];
  for (const row of rows) {
    const { log, lines } = capture({ level: row.level });
    log.debug('e');
    log.info('e');
    log.warn('e');
    log.error('e');
    t.same(lines().map((l) => l.split(' ')[1]), row.writes, `at ${row.level}`);
  }
});

t.test('level names are read in any case', async (t) => {
  const table: [string, LogLevel | undefined][] = [['debug', 'DEBUG'], ['Info', 'INFO'], ['warn', 'WARNING'], [' warning ', 'WARNING'], ['ERROR', 'ERROR'], ['loud', undefined]];
  for (const [input, level] of table) t.equal(parseLogLevel(input), level, JSON.stringify(input));
  t.same(LOG_LEVELS, ['DEBUG', 'INFO', 'WARNING', 'ERROR']);
});

t.test('text: one line per record; JSON: one object per line, through pino', async (t) => {
  const fields: LogFields = { fleet: 'a', members: 3, url: 'http://127.0.0.1:8080/', skipped: undefined };
  const text = capture({ level: 'INFO' });
  text.log.info('fleet.ready', fields);
  t.same(text.lines(), ['2026-11-23T01:02:03.456Z INFO fleet.ready fleet=a members=3 url=http://127.0.0.1:8080/']);
  const json = capture({ level: 'INFO', format: 'json', json: pinoJson() });
  json.log.info('fleet.ready', fields);
  json.log.warn('member.drain_timeout', { id: 'abc' });
  t.same(
    json.lines().map((l) => JSON.parse(l) as unknown),
    [
      { level: 'INFO', time: '2026-11-23T01:02:03.456Z', event: 'fleet.ready', fleet: 'a', members: 3, url: 'http://127.0.0.1:8080/' },
      { level: 'WARNING', time: '2026-11-23T01:02:03.456Z', event: 'member.drain_timeout', id: 'abc' },
    ],
  );
});

t.test('an error field is its message and code, with its stack at DEBUG', async (t) => {
  const error = new FleetError('FLEET_PORT_IN_USE', 'port 8080 is already in use');
  for (const format of ['text', 'json'] as const) {
    const info = capture({ level: 'INFO', format, json: pinoJson() });
    info.log.error('fleet.start_failed', { error });
    const debug = capture({ level: 'DEBUG', format, json: pinoJson() });
    debug.log.error('fleet.start_failed', { error });
    const [infoLine] = info.lines();
    const [debugLine] = debug.lines();
    if (format === 'text') {
      t.equal(infoLine, '2026-11-23T01:02:03.456Z ERROR fleet.start_failed error="port 8080 is already in use" error.code=FLEET_PORT_IN_USE', 'text at INFO');
      t.equal(debugLine, `${infoLine} error.stack=${JSON.stringify(error.stack)}`, 'text at DEBUG adds the stack');
    } else {
      t.same(JSON.parse(infoLine), { level: 'ERROR', time: at.toISOString(), event: 'fleet.start_failed', error: { message: 'port 8080 is already in use', code: 'FLEET_PORT_IN_USE' } }, 'JSON at INFO');
      t.same(JSON.parse(debugLine), { level: 'ERROR', time: at.toISOString(), event: 'fleet.start_failed', error: { message: 'port 8080 is already in use', code: 'FLEET_PORT_IN_USE', stack: error.stack } }, 'JSON at DEBUG adds the stack');
    }
  }
});

t.test("a child's lines carry its bindings; it shares the destination and the count", async (t) => {
  const { log, lines } = capture({ level: 'INFO' });
  const worker = log.child({ worker: 2 });
  worker.info('proxy.listening', { port: 8080 });
  t.same(lines(), ['2026-11-23T01:02:03.456Z INFO proxy.listening worker=2 port=8080']);
  t.equal(worker.destination, log.destination);
});

t.test('logging never throws: a record that cannot be encoded is dropped and counted', async (t) => {
  const { log, lines } = capture({ level: 'INFO', format: 'json' });
  t.doesNotThrow(() => log.info('odd.values', { n: 10n } as unknown as LogFields), 'plain JSON.stringify throws on a BigInt; the logger does not');
  t.equal(log.dropped, 1);
  log.info('after');
  t.same(lines().map((l) => JSON.parse(l) as { event: string; lines?: number }).map((r) => [r.event, r.lines]), [['log.dropped', 1], ['after', undefined]], 'the next line is written, after the count of the lost one');
});

t.test('after a stalled reader comes back, the next line is preceded by how many were lost', async (t) => {
  const p = pipe(t);
  const log = new Logger({ level: 'INFO', destination: openFdDestination(p.writeFd, 4_000)!, now });
  const written = 1_500;
  for (let i = 0; i < written; i++) log.info('tick', { i, pad: 'x'.repeat(60) });
  t.ok(log.dropped > 0, `lines were dropped while the reader stalled (${log.dropped})`);
  let received = p.drain();
  for (let i = 0; i < 100 && log.destination.backlog > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    received += p.drain();
  }
  const lost = log.dropped;
  log.info('tock');
  received += p.drain();
  const lines = received.split('\n').filter(Boolean);
  t.equal(lines.filter((l) => l.includes(' INFO tick ')).length + lost, written, 'every tick was delivered or counted');
  t.same(lines.slice(-2), [`2026-11-23T01:02:03.456Z WARNING log.dropped lines=${lost} total=${lost}`, '2026-11-23T01:02:03.456Z INFO tock'], 'the loss is reported once, before the next line');
});

t.test('listeners hear every event, at any level, through children too, and cannot break logging', async (t) => {
  const { log, lines } = capture({ level: 'WARNING' });
  const heard: string[] = [];
  const stop = log.subscribe((level, event, fields) => heard.push(`${level} ${event} ${JSON.stringify(fields)}`));
  log.subscribe(() => {
    throw new Error('a broken listener');
  });
  log.info('member.state', { member: 'a' });
  log.child({ worker: 1 }).warn('worker.hung', { slot: 1 });
  t.same(heard, ['INFO member.state {"member":"a"}', 'WARNING worker.hung {"slot":1}'], 'below the level too, with the fields as given');
  t.equal(lines().length, 1, 'the line at the level is still written, the one below is not');
  stop();
  log.error('fleet.stopped');
  t.equal(heard.length, 2, 'a removed listener hears nothing more');
});
