import t from 'tap';
import { type ObservedContainer, type PlanInput, compareIps, isSettled, listKey, plan } from '../../../../src/fleet/control/reconcile/plan.js';

const c = (id: string, ip: string | undefined, created = 100, running = true): ObservedContainer => ({ id, name: `m-${id}`, ip, running, created });

const base = (over: Partial<PlanInput>): PlanInput => ({
  desired: 3,
  observed: [],
  removing: new Set(),
  holding: new Map(),
  healthy: new Set(),
  ...over,
});

const three = [c('a', '172.20.0.2', 1), c('b', '172.20.0.10', 2), c('c', '172.20.0.3', 3)];
const sortedThree = ['172.20.0.2', '172.20.0.3', '172.20.0.10'];
const allPushed = new Map(three.map((x) => [x.id, listKey(sortedThree)]));

interface Case {
  name: string;
  input: PlanInput;
  start: number;
  drain: string[];
  reap: string[];
  list: string[];
  push: string[];
}

const cases: Case[] = [
  { name: 'an empty fleet starts every member', input: base({}), start: 3, drain: [], reap: [], list: [], push: [] },
  {
    name: 'a fleet at size pushes the list, sorted by address, to members that lack it',
    input: base({ observed: three }),
    start: 0,
    drain: [],
    reap: [],
    list: sortedThree,
    push: ['a', 'c', 'b'],
  },
  { name: 'members that hold the list are skipped', input: base({ observed: three, holding: allPushed }), start: 0, drain: [], reap: [], list: sortedThree, push: [] },
  {
    name: 'an exited member is reaped and replaced',
    input: base({ observed: [three[0], three[1], c('c', '172.20.0.3', 3, false)], holding: allPushed }),
    start: 1,
    drain: [],
    reap: ['c'],
    list: ['172.20.0.2', '172.20.0.10'],
    push: ['a', 'b'],
  },
  {
    name: 'a running member without an address counts as not serving',
    input: base({ observed: [three[0], three[1], c('c', undefined)], holding: allPushed }),
    start: 1,
    drain: [],
    reap: ['c'],
    list: ['172.20.0.2', '172.20.0.10'],
    push: ['a', 'b'],
  },
  {
    name: 'surplus goes newest first when all are healthy',
    input: base({ desired: 2, observed: three, holding: allPushed, healthy: new Set(['a', 'b', 'c']) }),
    start: 0,
    drain: ['c'],
    reap: [],
    list: ['172.20.0.2', '172.20.0.10'],
    push: ['a', 'b'],
  },
  {
    name: 'surplus goes unhealthy first, before newest',
    input: base({ desired: 2, observed: three, holding: allPushed, healthy: new Set(['b', 'c']) }),
    start: 0,
    drain: ['a'],
    reap: [],
    list: ['172.20.0.3', '172.20.0.10'],
    push: ['c', 'b'],
  },
  {
    name: 'a member being removed is not counted and its removal is finished',
    input: base({ desired: 2, observed: three, removing: new Set(['b']), holding: new Map([['a', listKey(['172.20.0.2', '172.20.0.3'])], ['c', listKey(['172.20.0.2', '172.20.0.3'])]]) }),
    start: 0,
    drain: ['b'],
    reap: [],
    list: ['172.20.0.2', '172.20.0.3'],
    push: [],
  },
  {
    name: 'an exited member being removed is reaped, not drained',
    input: base({ desired: 2, observed: [three[0], three[2], c('b', '172.20.0.10', 2, false)], removing: new Set(['b']) }),
    start: 0,
    drain: [],
    reap: ['b'],
    list: ['172.20.0.2', '172.20.0.3'],
    push: ['a', 'c'],
  },
  {
    name: 'a member failing health checks for too long is reaped and replaced',
    input: base({ observed: three, holding: allPushed, failing: new Set(['b']) }),
    start: 1,
    drain: [],
    reap: ['b'],
    list: ['172.20.0.2', '172.20.0.3'],
    push: ['a', 'c'],
  },
  {
    name: 'a container created and not started yet is on its way: not reaped, counted',
    input: base({ desired: 4, observed: [...three, { ...c('d', undefined, 95, false), state: 'created' }], holding: allPushed, now: 100 }),
    start: 0,
    drain: [],
    reap: [],
    list: sortedThree,
    push: [],
  },
  {
    name: 'one created long ago and never started is a leftover: reaped',
    input: base({ desired: 4, observed: [...three, { ...c('d', undefined, 10, false), state: 'created' }], holding: allPushed, now: 1_000 }),
    start: 1,
    drain: [],
    reap: ['d'],
    list: sortedThree,
    push: [],
  },
  {
    name: 'a member that stopped moments ago is replaced but not reaped yet',
    input: base({ observed: [three[0], three[1], c('c', '172.20.0.3', 3, false)], holding: allPushed, lingering: new Set(['c']) }),
    start: 1,
    drain: [],
    reap: [],
    list: ['172.20.0.2', '172.20.0.10'],
    push: ['a', 'b'],
  },
  {
    name: 'a restarting member is on its way too',
    input: base({ observed: [three[0], three[1], { ...c('c', undefined, 3, false), state: 'restarting' }], holding: allPushed }),
    start: 0,
    drain: [],
    reap: [],
    list: ['172.20.0.2', '172.20.0.10'],
    push: ['a', 'b'],
  },
  {
    name: 'a start in flight and its created container are counted once',
    input: base({ desired: 4, observed: [...three, { ...c('d', undefined, 95, false), state: 'created' }], holding: allPushed, starting: 1, now: 100 }),
    start: 0,
    drain: [],
    reap: [],
    list: sortedThree,
    push: [],
  },
  {
    name: 'members being created count toward the size',
    input: base({ desired: 5, observed: three, holding: allPushed, starting: 1 }),
    start: 1,
    drain: [],
    reap: [],
    list: sortedThree,
    push: [],
  },
  {
    name: 'scaling up counts only serving members',
    input: base({ desired: 5, observed: three, holding: allPushed }),
    start: 2,
    drain: [],
    reap: [],
    list: sortedThree,
    push: [],
  },
];

for (const k of cases) {
  t.test(k.name, async (t) => {
    const p = plan(k.input);
    t.equal(p.start, k.start, 'starts the missing members');
    t.same(p.drain, k.drain, 'drains the right members');
    t.same(p.reap, k.reap, 'reaps the right containers');
    t.same(p.list, k.list, 'serves the right list');
    t.same(p.push, k.push, 'pushes only where the list differs');
    t.same(
      p.fresh,
      p.keep.filter((x) => !k.input.holding.has(x.id)).map((x) => x.id),
      'members that serve no list yet are served first',
    );
  });
}

t.test('fresh members are the kept ones that serve no list yet', async (t) => {
  const holding = new Map([['a', listKey(['172.20.0.2'])]]);
  t.same(plan(base({ observed: three, holding })).fresh, ['c', 'b'], 'in list order, whatever list the others serve');
  t.same(plan(base({ observed: three, holding: allPushed })).fresh, [], 'none when every member serves a list');
});

t.test('the same observation gives the same plan', async (t) => {
  const input = base({ desired: 2, observed: three, healthy: new Set(['a', 'b', 'c']) });
  t.same(plan(input), plan({ ...input, observed: [...three].reverse() }));
});

t.test('a plan is settled only when there is nothing to do', async (t) => {
  t.ok(isSettled(plan(base({ observed: three, holding: allPushed }))), 'a fleet at size with lists in place is settled');
  t.notOk(isSettled(plan(base({ observed: three }))), 'a missing list is work');
  t.notOk(isSettled(plan(base({ desired: 4, observed: three, holding: allPushed }))), 'a missing member is work');
});

t.test('addresses sort by value, not as text', async (t) => {
  t.same(['10.0.0.10', '9.0.0.1', '10.0.0.9', '172.20.1.2'].sort(compareIps), ['9.0.0.1', '10.0.0.9', '10.0.0.10', '172.20.1.2']);
});
