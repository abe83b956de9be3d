// The per-member gate, table-driven, on a make-believe clock (entered for each test, so the
// gate's own setTimeout is the clock's): slots, the bounded queue, its timeout, a member gone.
import t from 'tap';
import { Clock } from '@tapjs/clock';
import { type Entry, Gate } from '../../../src/fleet/data/gate.js';

function clocked(t: { teardown: (fn: () => void) => void }): Clock {
  const clock = new Clock();
  clock.enter();
  t.teardown(() => clock.exit());
  return clock;
}

t.test('entries by slots and queue bounds', async (t) => {
  const cases: { what: string; active: number; waiting: number; requests: number; entries: Entry[]; full: boolean }[] = [
    { what: 'within the slots', active: 2, waiting: 1, requests: 2, entries: ['go', 'go'], full: false },
    { what: 'slots taken, then queued', active: 1, waiting: 2, requests: 3, entries: ['go', 'queued', 'queued'], full: true },
    { what: 'past the queue: full', active: 1, waiting: 1, requests: 4, entries: ['go', 'queued', 'full', 'full'], full: true },
    { what: 'no queue at all', active: 1, waiting: 0, requests: 2, entries: ['go', 'full'], full: true },
  ];
  for (const c of cases) {
    clocked(t);
    const gate = new Gate<number>({ active: c.active, waiting: c.waiting, timeoutMs: 100 });
    const entries = Array.from({ length: c.requests }, (_, i) => gate.enter('m', i, () => {}, () => {}));
    t.same(entries, c.entries, c.what);
    t.equal(gate.full('m'), c.full, `${c.what}: full() agrees`);
    t.equal(gate.full('other'), false, `${c.what}: another member is not full`);
    gate.drop('m');
  }
});

t.test('a freed slot goes to the oldest waiter', async (t) => {
  clocked(t);
  const gate = new Gate<string>({ active: 1, waiting: 3, timeoutMs: 100 });
  const resumed: string[] = [];
  gate.enter('m', 'a', () => {}, () => {});
  for (const item of ['b', 'c']) gate.enter('m', item, (i) => resumed.push(i), () => {});
  t.equal(gate.waiting('m'), 2);
  gate.leave('m');
  t.same(resumed, ['b'], 'b waited longest');
  gate.leave('m');
  t.same(resumed, ['b', 'c']);
  t.equal(gate.waiting('m'), 0);
  gate.leave('m');
  t.equal(gate.enter('m', 'd', () => {}, () => {}), 'go', 'with every slot free, the next goes at once');
});

t.test('a waiter past the timeout expires and leaves the queue', async (t) => {
  const clock = clocked(t);
  const gate = new Gate<string>({ active: 1, waiting: 1, timeoutMs: 100 });
  const expired: string[] = [];
  const resumed: string[] = [];
  gate.enter('m', 'a', () => {}, () => {});
  gate.enter('m', 'b', (i) => resumed.push(i), (i) => expired.push(i));
  clock.advance(99);
  t.same(expired, [], 'not before its time');
  clock.advance(1);
  t.same(expired, ['b'], 'expired at the timeout');
  t.equal(gate.waiting('m'), 0, 'and out of the queue');
  t.equal(gate.full('m'), false, 'so the queue has room again');
  gate.leave('m');
  t.same(resumed, [], 'an expired waiter is never resumed');
});

t.test('a member gone hands back its waiters and cancels their timers', async (t) => {
  const clock = clocked(t);
  const gate = new Gate<string>({ active: 1, waiting: 2, timeoutMs: 100 });
  const expired: string[] = [];
  gate.enter('m', 'a', () => {}, () => {});
  gate.enter('m', 'b', () => {}, (i) => expired.push(i));
  gate.enter('m', 'c', () => {}, (i) => expired.push(i));
  t.same(gate.drop('m'), ['b', 'c'], 'the waiters, oldest first');
  clock.advance(1_000);
  t.same(expired, [], 'none of them expires later');
  t.same(gate.drop('m'), [], 'dropping again hands back nothing');
  t.equal(gate.waiting('m'), 0);
});

t.test('leave for a member never entered is harmless', async (t) => {
  const gate = new Gate<string>({ active: 1, waiting: 1, timeoutMs: 100 });
  gate.leave('ghost');
  t.equal(gate.enter('ghost', 'a', () => {}, () => {}), 'go');
});
