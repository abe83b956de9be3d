// The list distributor against in-memory readers: one generation per distinct list, new
// members served first, convergence measured from the change.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { Logger } from '../../../../src/log.js';
import { type Convergence, ListDistributor, listKey } from '../../../../src/fleet/control/lists/distributor.js';
import { FakeReaders } from './fake-reader.js';

const fast = { readyTimeoutMs: 200, ackTimeoutMs: 50, minBackoffMs: 10, maxBackoffMs: 40, firstTimeoutMs: 300 };

function setup() {
  const readers = new FakeReaders();
  const converged: Convergence[] = [];
  const logs = new PassThrough();
  let text = '';
  logs.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const lists = new ListDistributor(readers, new Logger({ level: 'INFO', stream: logs }), { converged: (c) => converged.push(c) }, fast);
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

t.test('a new member that never answers does not hold the others back for long', async (t) => {
  const { readers, lists } = setup();
  t.teardown(() => lists.close());
  lists.track(['old']);
  await lists.waitHeld(['old'], lists.publish(['1'], { cause: 'start' }).key, 2_000);
  readers.quirks.set('stuck', { refuse: true, execFails: true });
  lists.track(['stuck']);
  const started = Date.now();
  const target = lists.publish(['1', '2'], { cause: 'scale', first: ['stuck'] });
  await lists.waitHeld(['old'], target.key, 3_000);
  t.equal(lists.holds('old'), target.key, 'the others get the list after the wait for the first');
  t.ok(Date.now() - started < 2_000, 'bounded by firstTimeoutMs');
});

t.test('an untracked member is not waited for, and its session closes', async (t) => {
  const { readers, lists, converged } = setup();
  t.teardown(() => lists.close());
  readers.quirks.set('gone', { refuse: true, execFails: true });
  lists.track(['a', 'gone']);
  const target = lists.publish(['1'], { cause: 'death' });
  await new Promise((resolve) => setTimeout(resolve, 50));
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
