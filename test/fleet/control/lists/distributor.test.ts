// The list distributor against in-memory readers: one generation per distinct list, handed
// to the members a plan names, new members served first, convergence measured from the change.
import t from 'tap';
import { Clock } from '@tapjs/clock';
import { PassThrough } from 'node:stream';
import { Logger } from '../../../../src/log.js';
import { type Convergence, ListDistributor, listKey } from '../../../../src/fleet/control/lists/distributor.js';
import { FakeReaders } from './fake-reader.js';

const fast = { readyTimeoutMs: 200, ackTimeoutMs: 50, minBackoffMs: 10, maxBackoffMs: 40, firstTimeoutMs: 300 };

/** A distributor over in-memory readers; with `clock`, its waits and times read it (the channels' own timers stay the host's). */
function setup(clock?: Clock) {
  const readers = new FakeReaders();
  const converged: Convergence[] = [];
  const logs = new PassThrough();
  let text = '';
  logs.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const lists = new ListDistributor(readers, new Logger({ level: 'INFO', stream: logs }), { converged: (c) => converged.push(c) }, fast, clock);
  return { readers, lists, converged, logs: () => text };
}

t.test('one generation per distinct list; the same list again starts nothing', async (t) => {
  const { lists } = setup();
  t.teardown(() => lists.close());
  lists.track(['a', 'b']);
  const one = lists.publish(['10.0.0.1', '10.0.0.2'], { cause: 'test' });
  const again = lists.publish(['10.0.0.1', '10.0.0.2'], { cause: 'test' });
  const two = lists.publish(['10.0.0.1'], { cause: 'test' });
  t.equal(one.generation, 1);
  t.equal(again, one, 'the same list is the same generation');
  t.equal(two.generation, 2);
  await lists.waitHeld(['a', 'b'], two.key, 2_000);
  t.equal(lists.holds('a'), listKey(['10.0.0.1']));
  t.equal(lists.holds('b'), listKey(['10.0.0.1']));
});

t.test('a convergence is measured from the change, logged and reported once', async (t) => {
  const { lists, converged, logs } = setup();
  t.teardown(() => lists.close());
  lists.track(['a', 'b', 'c']);
  const since = Date.now() - 50;
  const target = lists.publish(['1', '2', '3'], { cause: 'scale', since });
  await lists.waitHeld(['a', 'b', 'c'], target.key, 2_000);
  t.equal(converged.length, 1, 'reported once');
  t.match(converged[0], { generation: 1, cause: 'scale', members: 3, via: { session: 3, exec: 0 } });
  t.ok(converged[0].ms >= 50, `counted from the change (${converged[0].ms} ms)`);
  t.match(logs(), /INFO list\.converged generation=1 cause=scale members=3 ms=\d+ bySession=3 byExec=0/);
});

t.test('new members get the list first; the others once they hold it', async (t) => {
  const { readers, lists } = setup();
  t.teardown(() => lists.close());
  lists.track(['old1', 'old2']);
  const first = lists.publish(['1', '2'], { cause: 'start' });
  await lists.waitHeld(['old1', 'old2'], first.key, 2_000);
  readers.writes.length = 0;
  lists.track(['new']);
  const second = lists.publish(['1', '2', '3'], { cause: 'scale', first: ['new'] });
  await lists.waitHeld(['old1', 'old2', 'new'], second.key, 2_000);
  t.equal(readers.writes[0], 'new 2 session', 'the new member is written first');
  t.same(readers.writes.slice(1).sort(), ['old1 2 session', 'old2 2 session'], 'then the others');
});

t.test('a new member that never answers holds the others back for firstTimeoutMs, no longer', async (t) => {
  const clock = new Clock();
  const { readers, lists } = setup(clock);
  t.teardown(() => lists.close());
  lists.track(['old']);
  await lists.waitHeld(['old'], lists.publish(['1'], { cause: 'start' }).key, 2_000);
  readers.quirks.set('stuck', { refuse: true, execFails: true });
  lists.track(['stuck']);
  const target = lists.publish(['1', '2'], { cause: 'scale', first: ['stuck'] });
  clock.advance(fast.firstTimeoutMs - 1);
  await new Promise((resolve) => setImmediate(resolve));
  t.not(lists.holds('old'), target.key, 'the others wait for the first one');
  t.not(lists.writing('old'), target.key, 'not even written yet');
  clock.advance(1);
  await lists.waitHeld(['old'], target.key, 3_000);
  t.equal(lists.holds('old'), target.key, 'the others get the list when the wait for the first ends');
});

t.test('an untracked member is not waited for, and its session closes', async (t) => {
  const { readers, lists, converged } = setup();
  t.teardown(() => lists.close());
  readers.quirks.set('gone', { refuse: true, execFails: true });
  lists.track(['a', 'gone']);
  const target = lists.publish(['1'], { cause: 'death' });
  await lists.waitHeld(['a'], target.key, 2_000);
  t.equal(converged.length, 0, 'not converged while a member lacks the list');
  lists.untrack('gone');
  await lists.waitHeld(['a'], target.key, 2_000);
  t.equal(converged.length, 1, 'converged once the missing member left');
  t.same(lists.tracked, ['a']);
});

t.test('a member tracked after close opens no session (a start that finished during shutdown)', async (t) => {
  const { readers, lists } = setup();
  readers.quirks.set('late', { refuse: true, execFails: true });
  lists.close();
  lists.track(['late']);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(readers.opened, 0, 'no session was tried');
  t.same(lists.tracked, [], 'nothing is tracked');
});

t.test('a plan\'s decision: the members it names are served, and the list goes only to those it names', async (t) => {
  const { readers, lists, converged } = setup();
  t.teardown(() => lists.close());
  const first = lists.publish(['1', '2'], { cause: 'start', members: ['a', 'b'] });
  t.same(lists.tracked.sort(), ['a', 'b'], 'sessions open for the members named');
  await lists.waitHeld(['a', 'b'], first.key, 2_000);
  readers.writes.length = 0;
  const second = lists.publish(['1'], { cause: 'death', members: ['a'], to: ['a'] });
  t.same(lists.tracked, ['a'], 'the others\' sessions close');
  t.notOk(readers.isOpen('b'), 'b\'s reader is gone');
  await lists.waitHeld(['a'], second.key, 2_000);
  t.same(readers.writes, ['a 2 session'], 'written to the member named, and no one else');
  t.match(converged[1], { generation: 2, members: 1, via: { session: 1, unchanged: 0 } });
});

t.test('members the list does not go to hold it already: counted as unchanged, not waited for', async (t) => {
  const { readers, lists, converged } = setup();
  t.teardown(() => lists.close());
  const a = lists.publish(['1'], { cause: 'start', members: ['x', 'y'] });
  await lists.waitHeld(['x', 'y'], a.key, 2_000);
  const b = lists.publish(['1', '2'], { cause: 'scale' });
  await lists.waitHeld(['x', 'y'], b.key, 2_000);
  readers.writes.length = 0;
  // Back to the first list, which only x lacks now (y's was never replaced, say).
  lists.publish(['1'], { cause: 'scale', to: ['x'] });
  await lists.waitHeld(['x'], a.key, 2_000);
  t.same(readers.writes, ['x 3 session'], 'only x is written');
  t.match(converged[2], { generation: 3, via: { session: 1, unchanged: 1 } });
});

t.test('the same list again goes to the members named; the rest still wait for the first ones', async (t) => {
  const clock = new Clock();
  const { readers, lists } = setup(clock);
  t.teardown(() => lists.close());
  lists.track(['old']);
  await lists.waitHeld(['old'], lists.publish(['1'], { cause: 'start' }).key, 2_000);
  readers.quirks.set('new', { refuse: true, execFails: true });
  lists.track(['new']);
  const target = lists.publish(['1', '2'], { cause: 'scale', first: ['new'] });
  const again = lists.publish(['1', '2'], { cause: 'reconcile', to: ['old', 'new'], first: ['new'] });
  t.equal(again, target, 'the same generation');
  await new Promise((resolve) => setImmediate(resolve));
  t.not(lists.writing('old'), target.key, 'the old member still waits for the new one');
  clock.advance(fast.firstTimeoutMs);
  await lists.waitHeld(['old'], target.key, 2_000);
  t.equal(lists.holds('old'), target.key, 'and gets it when the wait ends');
});

t.test('a listener hears every member that holds a list', async (t) => {
  const { lists } = setup();
  t.teardown(() => lists.close());
  const heard: string[] = [];
  const off = lists.onHeld((id, target) => heard.push(`${id} ${target.generation}`));
  const target = lists.publish(['1'], { cause: 'start', members: ['a', 'b'] });
  await lists.waitHeld(['a', 'b'], target.key, 2_000);
  t.same(heard.sort(), ['a 1', 'b 1']);
  off();
  await lists.waitHeld(['a'], lists.publish(['2'], { cause: 'scale' }).key, 2_000);
  t.equal(heard.length, 2, 'not once it unsubscribed');
});
