// One node's lists against in-memory readers: generations from outside, only newer ones
// pushed, new members served at once, convergence awaited with a bound.
import t from 'tap';
import { Clock } from '@tapjs/clock';
import { PassThrough } from 'node:stream';
import { Logger } from '../../../src/log.js';
import { NodeLists } from '../../../src/fleet/agent/node-lists.js';
import { FakeReaders } from '../control/lists/fake-reader.js';

const fast = { readyTimeoutMs: 200, ackTimeoutMs: 50, minBackoffMs: 10, maxBackoffMs: 40 };

function setup() {
  const readers = new FakeReaders();
  const logs = new PassThrough();
  let text = '';
  logs.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const lists = new NodeLists(readers, new Logger({ level: 'INFO', stream: logs }), fast);
  return { readers, lists, logs: () => text };
}

t.test('a newer list reaches every member and the answer waits for it', async (t) => {
  const { readers, lists } = setup();
  t.teardown(() => lists.close());
  lists.track('a', '10.0.0.2');
  lists.track('b', '10.0.0.3');
  t.ok(lists.offer({ generation: 7, ips: ['10.0.0.2', '10.0.0.3'] }), 'generation 7 is taken');
  const reply = await lists.settle(7, 1_000);
  t.equal(reply.outcome, 'converged', 'every member holds it');
  t.same(reply.members.map((m) => m.generation), [7, 7], 'each holds generation 7');
  t.same(readers.lists.get('a'), ['10.0.0.2', '10.0.0.3'], 'member a serves the list');
});

t.test('a list not newer is stale: nothing is written', async (t) => {
  const { readers, lists, logs } = setup();
  t.teardown(() => lists.close());
  lists.track('a', '10.0.0.2');
  lists.offer({ generation: 7, ips: ['10.0.0.2'] });
  await lists.settle(7, 1_000);
  const writes = readers.writes.length;
  t.notOk(lists.offer({ generation: 7, ips: ['10.0.0.2'] }), 'the same generation again is stale');
  t.notOk(lists.offer({ generation: 3, ips: ['10.0.0.9'] }), 'an older generation is stale');
  t.notOk(lists.offer({ generation: 7, ips: ['10.0.0.8'] }), 'another list under the held generation is stale');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(readers.writes.length, writes, 'no list was written');
  t.same(readers.lists.get('a'), ['10.0.0.2'], 'the member keeps generation 7');
  t.equal(lists.generation, 7);
  t.match(logs(), /agent\.list_conflict/, 'two lists under one generation are logged');
});

t.test('a new member gets the current list at once', async (t) => {
  const { readers, lists } = setup();
  t.teardown(() => lists.close());
  lists.offer({ generation: 4, ips: ['10.0.0.2'] });
  lists.track('c', '10.0.0.4');
  const reply = await lists.settle(4, 1_000);
  t.equal(reply.outcome, 'converged');
  t.same(readers.lists.get('c'), ['10.0.0.2'], 'the new member serves generation 4');
});

t.test('a member that cannot take the list makes the answer partial after the bound, naming who holds it', async (t) => {
  const { readers, lists } = setup();
  t.teardown(() => lists.close());
  readers.quirks.set('b', { mute: true, execFails: true });
  lists.track('a', '10.0.0.2');
  lists.track('b', '10.0.0.3');
  lists.offer({ generation: 2, ips: ['10.0.0.2', '10.0.0.3'] });
  // Member a takes the list in a few turns of the event loop; b never will.
  while (lists.holdings()[0].generation !== 2) await new Promise((resolve) => setImmediate(resolve));
  // The bound on a make-believe clock: the answer is still owed a tick before it, given after.
  const clock = new Clock();
  clock.enter();
  t.teardown(() => clock.exit());
  let answered = false;
  const settled = lists.settle(2, 300).finally(() => (answered = true));
  clock.advance(299);
  await new Promise((resolve) => process.nextTick(resolve));
  t.notOk(answered, 'no answer before the bound');
  clock.advance(1);
  const reply = await settled;
  t.equal(reply.outcome, 'partial');
  t.same(reply.members, [
    { id: 'a', ip: '10.0.0.2', generation: 2 },
    { id: 'b', ip: '10.0.0.3', generation: null },
  ]);
});

t.test('a member gone while the answer waits no longer holds it back', async (t) => {
  const { readers, lists } = setup();
  t.teardown(() => lists.close());
  readers.quirks.set('b', { mute: true, execFails: true });
  lists.track('a', '10.0.0.2');
  lists.track('b', '10.0.0.3');
  lists.offer({ generation: 2, ips: ['10.0.0.2'] });
  const settled = lists.settle(2, 5_000);
  setTimeout(() => lists.untrack('b'), 50);
  t.equal((await settled).outcome, 'converged');
});
