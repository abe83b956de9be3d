// The live feed's wire format, and which log events it carries.
import t from 'tap';
import { LogFeed, notable } from '../../../src/fleet/admin/log-feed.js';
import { statusEvent } from '../../../src/fleet/admin/feed.js';
import { sseMessage } from '../../../src/fleet/admin/sse.js';
import type { FleetStatus } from '../../../src/fleet/control/socket/protocol.js';
import type { LogLevel } from '../../../src/log.js';

t.test('an event is its name, its data as JSON on data lines, and a blank line', async (t) => {
  const cases: [string, string, unknown, string][] = [
    ['an object', 'status', { a: 1 }, 'event: status\ndata: {"a":1}\n\n'],
    ['a string with a newline stays on one data line (JSON escapes it)', 'log', 'x\ny', 'event: log\ndata: "x\\ny"\n\n'],
    ['a name cannot break the framing', 'a\nb', 1, 'event: ab\ndata: 1\n\n'],
  ];
  for (const [what, event, data, expected] of cases) t.equal(sseMessage(event, data), expected, what);
});

t.test('the feed carries membership, lists, workers, the fleet and every warning', async (t) => {
  const cases: [LogLevel, string, boolean][] = [
    ['INFO', 'member.state', true],
    ['WARNING', 'member.replacing', true],
    ['INFO', 'list.converged', true],
    ['INFO', 'worker.serving', true],
    ['INFO', 'workers.reloaded', true],
    ['INFO', 'fleet.ready', true],
    ['WARNING', 'events.dropped', true],
    ['ERROR', 'control.bug', true],
    ['INFO', 'balancer.limits', false],
    ['DEBUG', 'member.state', false],
    ['DEBUG', 'list.session', false],
  ];
  for (const [level, event, goes] of cases) t.equal(notable(level, event), goes, `${level} ${event}: ${goes ? 'sent' : 'left out'}`);
});

t.test('the last events are kept for replay, errors reduced to their message and code', async (t) => {
  const feed = new LogFeed(() => new Date('2026-01-02T03:04:05.000Z'), 3);
  const seen: string[] = [];
  feed.onEntry((e) => seen.push(e.event));
  for (let i = 1; i <= 5; i++) feed.listener('INFO', 'member.started', { n: i });
  feed.listener('DEBUG', 'member.state', {});
  t.same(
    feed.recent().map((e) => e.fields.n),
    [3, 4, 5],
    'only the last 3 are kept',
  );
  t.equal(seen.length, 5, 'each notable event is told once');
  const error = Object.assign(new Error('boom'), { code: 'E_X' });
  feed.listener('ERROR', 'fleet.start_failed', { error, skipped: undefined });
  t.same(feed.recent().at(-1), { time: '2026-01-02T03:04:05.000Z', level: 'ERROR', event: 'fleet.start_failed', fields: { error: { message: 'boom', code: 'E_X' } } });
});

t.test('a status event keys members by id and sums their requests in flight', async (t) => {
  const status: FleetStatus = {
    name: 'f',
    desired: 2,
    port: 1,
    host: 'h',
    image: 'i',
    pid: 1,
    workers: [],
    members: [
      { id: 'id-a', name: 'a', ip: '10.0.0.1', healthy: true, state: 'up', inflight: 2, inSync: true, session: 'open' },
      { id: 'id-b', name: 'b', ip: '10.0.0.2', healthy: true, state: 'up', inflight: 1, inSync: true, session: 'open' },
    ],
  };
  const event = statusEvent(new Date(0), status, { totals: { rps: 5, p50: 1, p99: 2 }, members: { a: { rps: 5, p50: 1, p99: 2 }, none: { rps: 1, p50: 0, p99: 0 } } }, 42);
  t.same(event, {
    time: '1970-01-01T00:00:00.000Z',
    status,
    totals: { rps: 5, p50: 1, p99: 2, inflight: 3, requests: 42 },
    members: { 'id-a': { rps: 5, p50: 1, p99: 2 }, 'id-b': { rps: 0, p50: null, p99: null } },
  });
});
