// The live feed's log events: which events are notable, each entry as it happened, the last
// ones kept for a client that connects later.
import t from 'tap';
import type { LogLevel } from '../../../src/log/levels.js';
import { LogFeed, notable } from '../../../src/fleet/admin/log-feed.js';

t.test('which events go to the feed', async (t) => {
  const cases: [LogLevel, string, boolean][] = [
    ['INFO', 'member.started', true],
    ['INFO', 'worker.restarted', true],
    ['INFO', 'workers.reloaded', true],
    ['INFO', 'fleet.stopping', true],
    ['INFO', 'list.converged', true],
    ['INFO', 'list.push_failed', true],
    ['INFO', 'list.pushed', false],
    ['INFO', 'reconcile.plan', false],
    ['INFO', 'membership.x', false],
    ['WARNING', 'reconcile.failed', true],
    ['ERROR', 'control.bug', true],
    ['DEBUG', 'member.started', false],
  ];
  for (const [level, event, want] of cases) t.equal(notable(level, event), want, `${level} ${event}: ${want ? 'sent' : 'not sent'}`);
});

t.test('an entry is told to every listener as it happens, with its time and fields', async (t) => {
  const feed = new LogFeed(() => new Date(Date.UTC(2026, 11, 6, 3, 0, 0)));
  const heard: string[] = [];
  const stop = feed.onEntry((entry) => heard.push(`${entry.time} ${entry.level} ${entry.event} ${JSON.stringify(entry.fields)}`));
  feed.listener('INFO', 'member.started', { id: 'abc', attempt: 1 });
  feed.listener('DEBUG', 'member.started', { id: 'def' });
  feed.listener('WARNING', 'member.remove_failed', { error: new Error('engine said no') });
  t.same(heard, ['2026-12-06T03:00:00.000Z INFO member.started {"id":"abc","attempt":1}', '2026-12-06T03:00:00.000Z WARNING member.remove_failed {"error":{"message":"engine said no"}}'], 'notable ones only; an error without its stack');
  stop();
  feed.listener('INFO', 'fleet.stopped', {});
  t.equal(heard.length, 2, 'a listener that stopped hears nothing more');
  t.equal(feed.recent().length, 3, 'but the entry is kept');
});

t.test('the last entries are kept, oldest first', async (t) => {
  const feed = new LogFeed(() => new Date(0), 3);
  for (let i = 1; i <= 5; i++) feed.listener('INFO', 'member.started', { n: i });
  t.same(
    feed.recent().map((e) => e.fields.n),
    [3, 4, 5],
    'three kept: the newest',
  );
});
