// A member's list channel against in-memory readers: generations in order, the latest list
// winning, lost acknowledgements, garbage, closed sessions and the one-shot fallback.
import t from 'tap';
import { type ChannelEvents, type ListTarget, MemberChannel } from '../../../../src/fleet/control/lists/channel.js';
import { FakeReaders } from './fake-reader.js';
import type { Tap } from '../../../support.js';
import { testClock } from '../../../clock.js';

const fast = { readyTimeoutMs: 200, ackTimeoutMs: 50, minBackoffMs: 10, maxBackoffMs: 40 };
const target = (generation: number, ...ips: string[]): ListTarget => ({ generation, key: ips.join('\n'), ips });

function channel(readers: FakeReaders, id = 'm') {
  const events: string[] = [];
  const handlers: ChannelEvents = {
    held: (_id, x, via) => events.push(`held ${x.generation} ${via}`),
    failed: (_id, x, via, reason) => events.push(`failed ${x.generation} ${via}: ${reason}`),
    session: (_id, state) => events.push(`session ${state}`),
  };
  const c = new MemberChannel(id, readers, handlers, fast);
  return { c, events };
}

/** A channel to member `m` on a make-believe clock, started, and closed when the test ends. */
function started(t: Tap, readers: FakeReaders) {
  const time = testClock(t);
  const made = channel(readers);
  t.teardown(() => made.c.close());
  made.c.start();
  return { ...made, ...time };
}

t.test('lists go through the session, in generation order', async (t) => {
  const readers = new FakeReaders();
  const { c, events, until } = started(t, readers);
  c.set(target(1, '10.0.0.1'));
  t.ok(await until(() => c.holding?.generation === 1), 'the first list is held');
  c.set(target(2, '10.0.0.1', '10.0.0.2'));
  t.ok(await until(() => c.holding?.generation === 2), 'then the second');
  t.same(readers.writes, ['m 1 session', 'm 2 session'], 'both written on the session, none by exec');
  t.same(events, ['session open', 'held 1 session', 'held 2 session']);
});

t.test('while one list is written, only the newest waiting one follows', async (t) => {
  const readers = new FakeReaders();
  const { c, until, pass } = started(t, readers);
  await until(() => c.sessionOpen);
  c.set(target(1, 'a'));
  c.set(target(2, 'b'));
  c.set(target(3, 'c'));
  t.ok(await until(() => c.holding?.generation === 3));
  t.same(readers.writes, ['m 1 session', 'm 3 session'], 'generation 2 is never written');
  c.set(target(2, 'x'));
  await pass(30);
  t.equal(c.holding?.generation, 3, 'an older generation never replaces a newer one');
});

t.test('the same list under a newer generation is not written again', async (t) => {
  const readers = new FakeReaders();
  const { c, events, until } = started(t, readers);
  c.set(target(1, 'a'));
  await until(() => c.holding?.generation === 1);
  c.set(target(2, 'a'));
  t.equal(c.holding?.generation, 2, 'held at once');
  t.same(readers.writes, ['m 1 session']);
  t.match(events, ['session open', 'held 1 session', 'held 2 unchanged']);
});

t.test('a lost acknowledgement: the list goes by exec, a new session opens, the current list first', async (t) => {
  const readers = new FakeReaders();
  readers.quirks.set('m', { mute: true });
  const { c, events, until } = started(t, readers);
  c.set(target(1, 'a'));
  t.ok(await until(() => c.holding?.generation === 1), 'held after the acknowledgement is given up on');
  t.same(readers.writes.slice(0, 2), ['m 1 session', 'm - exec'], 'the fallback wrote it');
  readers.quirks.delete('m');
  t.ok(await until(() => c.sessionOpen), 'a new session opens');
  t.ok(await until(() => readers.writes.length === 3), 'and writes the current list first');
  t.equal(readers.writes[2], 'm 1 session');
  await until(() => events.length === 5);
  t.match(events, ['session open', 'session down', 'held 1 exec', 'session open', 'held 1 session']);
});

t.test('a reader that answers garbage is dropped like a dead one', async (t) => {
  const readers = new FakeReaders();
  readers.quirks.set('m', { garbage: 'hello?' });
  const { c, events, until } = started(t, readers);
  c.set(target(1, 'a'));
  t.ok(await until(() => c.holding?.generation === 1));
  t.ok(
    events.some((e) => e === 'session down'),
    'the session went down',
  );
  t.ok(readers.writes.includes('m - exec'), 'the list still arrived, by exec');
});

t.test('a closed session is reopened with backoff, and the current list goes first', async (t) => {
  const readers = new FakeReaders();
  const { c, until } = started(t, readers);
  c.set(target(1, 'a'));
  await until(() => c.holding?.generation === 1);
  readers.kill('m');
  t.ok(await until(() => c.sessionOpen && readers.writes.length >= 2), 'reopened');
  t.same(readers.writes, ['m 1 session', 'm 1 session'], 'the list the member must serve is written again on the new session');
  t.equal(readers.opened, 2);
});

t.test('while no session can open, lists go by exec and the session keeps being retried', async (t) => {
  const readers = new FakeReaders();
  readers.quirks.set('m', { refuse: true });
  const { c, until, pass } = started(t, readers);
  c.set(target(1, 'a'));
  t.ok(await until(() => c.holding?.generation === 1), 'held by exec');
  c.set(target(2, 'b'));
  t.ok(await until(() => c.holding?.generation === 2), 'the next one too');
  await pass(100);
  t.ok(readers.opened >= 3, `opening was retried (${readers.opened} attempts)`);
  readers.quirks.delete('m');
  t.ok(await until(() => c.sessionOpen), 'the session comes back once it can');
});

t.test('when both the session and exec fail, the write is retried until it lands', async (t) => {
  const readers = new FakeReaders();
  readers.quirks.set('m', { refuse: true, execFails: true });
  const { c, events, until, pass } = started(t, readers);
  c.set(target(1, 'a'));
  await pass(60);
  t.equal(c.holding, undefined, 'nothing held while everything fails');
  t.ok(events.filter((e) => e.startsWith('failed 1 exec')).length >= 2, 'exec retried');
  readers.quirks.delete('m');
  t.ok(await until(() => c.holding?.generation === 1), 'held once the member answers again');
});

t.test('a restarted member (invalidate) gets its list again', async (t) => {
  const readers = new FakeReaders();
  const { c, until } = started(t, readers);
  c.set(target(1, 'a'));
  await until(() => c.holding?.generation === 1);
  readers.lists.delete('m');
  c.invalidate();
  t.equal(c.holding, undefined, 'what it held is unknown');
  t.ok(await until(() => c.holding?.generation === 1), 'held again');
  t.same(readers.lists.get('m'), ['a'], 'the member serves the list again');
});

t.test('a reader that never says ready is given up on', async (t) => {
  const readers = new FakeReaders();
  readers.quirks.set('m', { silent: true });
  const { c, until } = started(t, readers);
  c.set(target(1, 'a'));
  t.ok(await until(() => c.holding?.generation === 1, 3_000), 'the list goes by exec after the ready timeout');
  t.equal(readers.writes[0], 'm - exec');
});

t.test('a closed channel writes nothing more', async (t) => {
  const readers = new FakeReaders();
  const { until, pass } = testClock(t);
  const { c } = channel(readers);
  c.start();
  await until(() => c.sessionOpen);
  c.close();
  c.set(target(1, 'a'));
  await pass(50);
  t.same(readers.writes, []);
  t.notOk(readers.isOpen('m'), 'its session is closed');
});
