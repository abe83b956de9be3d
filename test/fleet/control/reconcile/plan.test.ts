import t from 'tap';
import { type ObservedContainer, type PassConfig, type PassInput, type PlanInput, compareIps, isSettled, listKey, plan, planPass, waitsForRotation } from '../../../../src/fleet/control/reconcile/plan.js';
import type { ReplacementConfig } from '../../../../src/fleet/control/reconcile/replacement.js';
import { type DyingMember, type ReconcileState, initialReconcileState, noteDeath, noteStart } from '../../../../src/fleet/control/reconcile/state.js';

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
    name: 'a running member without an address counts as not serving, and is stopped gracefully',
    input: base({ observed: [three[0], three[1], c('c', undefined)], holding: allPushed }),
    start: 1,
    drain: ['c'],
    reap: [],
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
    name: 'a member failing health checks for too long is replaced and stopped gracefully (the engine kills it after the grace)',
    input: base({ observed: three, holding: allPushed, failing: new Set(['b']) }),
    start: 1,
    drain: ['b'],
    reap: [],
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
    name: 'one created before the engine was found stopped is dropped by it, not on its way: reaped and replaced',
    input: base({ desired: 4, observed: [...three, { ...c('d', undefined, 95, false), state: 'created' }], holding: allPushed, now: 100, engineGoneAt: 96 }),
    start: 1,
    drain: [],
    reap: ['d'],
    list: sortedThree,
    push: [],
  },
  {
    name: 'one created after the engine came back is on its way',
    input: base({ desired: 4, observed: [...three, { ...c('d', undefined, 97, false), state: 'created' }], holding: allPushed, now: 100, engineGoneAt: 96 }),
    start: 0,
    drain: [],
    reap: [],
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

// planPass: one pass's decision, from the controller's state and what the pass observed.
const replacement: ReplacementConfig = { backoffBaseMs: 1_000, backoffMaxMs: 60_000, burst: 5, refillMs: 3_000, windowMs: 60_000, systemicMin: 2, systemicShare: 0.25, engineErrors: 3, engineCalmMs: 5_000, engineSlowMs: 5_000 };
const config: PassConfig = { exitGraceMs: 2_000, maxStarts: 16, replacement };
const NOW = 100_000;
const fresh = (): ReconcileState => initialReconcileState(replacement, 0);
const dying = (id: string): DyingMember => ({ name: `m-${id}`, ip: three.find((x) => x.id === id)!.ip!, draining: false });
const died = (state: ReconcileState, ...ids: string[]): ReconcileState => ids.reduce((s, id) => noteDeath(s, id, NOW, dying(id)), state);

const pass = (over: Partial<PassInput>): PassInput => ({
  from: 'list',
  now: NOW,
  desired: 3,
  listed: three,
  starting: 0,
  startsInFlight: 0,
  removalsInFlight: new Set(),
  holding: allPushed,
  writing: new Map(),
  unhealthy: new Set(),
  downLong: [],
  ...over,
});

interface PassCase {
  name: string;
  state: ReconcileState;
  input: PassInput;
  list: string[];
  push: string[];
  starts: number[];
  removals: { drain: string[]; reap: string[] };
  decided: string[];
  wakeAt?: number;
  suspension?: 'began' | 'ended';
}

const withoutC = ['172.20.0.2', '172.20.0.10'];
const passCases: PassCase[] = [
  {
    name: 'a fleet at size with its lists in place: nothing to do',
    state: fresh(),
    input: pass({}),
    list: sortedThree,
    push: [],
    starts: [],
    removals: { drain: [], reap: [] },
    decided: [],
  },
  {
    name: 'a death is trusted over a list that still shows it running: out of the list, replaced at once, reaped after the grace period',
    state: died(fresh(), 'c'),
    input: pass({}),
    list: withoutC,
    push: ['a', 'b'],
    starts: [1],
    removals: { drain: [], reap: [] },
    decided: ['c died'],
    wakeAt: NOW + 2_000,
  },
  {
    name: 'the same death planned from the last input: the lists only, nothing started or removed',
    state: died(fresh(), 'c'),
    input: pass({ from: 'last' }),
    list: withoutC,
    push: ['a', 'b'],
    starts: [],
    removals: { drain: [], reap: [] },
    decided: [],
  },
  {
    name: 'once the grace period is over, the dead member is reaped (its replacement already starting)',
    state: died(fresh(), 'c'),
    input: pass({ now: NOW + 2_000, starting: 1, startsInFlight: 1, holding: new Map([...allPushed].map(([id]) => [id, listKey(withoutC)])) }),
    list: withoutC,
    push: [],
    starts: [],
    removals: { drain: [], reap: ['c'] },
    decided: ['c died'],
  },
  {
    name: 'a death fleet decided on (a removal in flight) is no failure: reaped, not replaced',
    state: died({ ...fresh(), decidedForRemoval: new Set(['c']) }, 'c'),
    input: pass({ desired: 2, removalsInFlight: new Set(['c']) }),
    list: withoutC,
    push: ['a', 'b'],
    starts: [],
    removals: { drain: [], reap: ['c'] },
    decided: [],
    // The grace period still asks for a pass: a timer, not a decision.
    wakeAt: NOW + 2_000,
  },
  {
    name: 'a slot that failed before waits its backoff: held, and a pass is asked for when it may go',
    state: died({ ...fresh(), lineage: new Map([['c', 1]]) }, 'c'),
    input: pass({}),
    list: withoutC,
    push: ['a', 'b'],
    starts: [],
    removals: { drain: [], reap: [] },
    decided: ['c died'],
    wakeAt: NOW + 1_000,
  },
  {
    name: 'deaths at once are systemic: nothing is replaced and replacing is suspended',
    state: died(fresh(), 'b', 'c'),
    input: pass({}),
    list: ['172.20.0.2'],
    push: ['a'],
    starts: [],
    removals: { drain: [], reap: [] },
    decided: ['b died', 'c died'],
    wakeAt: NOW + 2_000,
    suspension: 'began',
  },
  {
    name: 'a member unhealthy for too long is replaced and stopped gracefully',
    state: fresh(),
    input: pass({ downLong: ['b'], unhealthy: new Set(['b']) }),
    list: ['172.20.0.2', '172.20.0.3'],
    push: ['a', 'c'],
    starts: [1],
    removals: { drain: ['b'], reap: [] },
    decided: ['b unhealthy'],
  },
  {
    name: 'while replacing is suspended, a member unhealthy for too long keeps its place',
    state: { ...fresh(), suspension: { reason: 'engine-slow', since: 0 }, policy: { ...fresh().policy, lastListMs: 9_000 } },
    input: pass({ downLong: ['b'], unhealthy: new Set(['b']) }),
    list: sortedThree,
    push: [],
    starts: [],
    removals: { drain: [], reap: [] },
    decided: [],
  },
  {
    name: 'a scale down drains the newest member once the others hold the list without it',
    state: fresh(),
    input: pass({ desired: 2 }),
    list: withoutC,
    push: ['a', 'b'],
    starts: [],
    removals: { drain: ['c'], reap: [] },
    decided: [],
  },
  {
    name: 'a member being written another list gets this one too, though it holds it',
    state: fresh(),
    input: pass({ writing: new Map([['a', listKey(withoutC)]]) }),
    list: sortedThree,
    push: ['a'],
    starts: [],
    removals: { drain: [], reap: [] },
    decided: [],
  },
  {
    name: 'a scale up starts fresh members, not replacements',
    state: fresh(),
    input: pass({ desired: 5 }),
    list: sortedThree,
    push: [],
    starts: [0, 0],
    removals: { drain: [], reap: [] },
    decided: [],
  },
];

for (const k of passCases) {
  t.test(`planPass: ${k.name}`, async (t) => {
    const p = planPass(k.state, k.input, config);
    t.same(p.plan.list, k.list, 'the list');
    t.same(p.plan.push, k.push, 'who gets it');
    t.same(p.starts, k.starts, 'the starts, by attempt');
    t.same(p.removals, k.removals, 'the removals');
    t.same(
      p.decided.map((f) => `${f.id} ${f.reason}`),
      k.decided,
      'the failures decided on',
    );
    t.equal(p.wakeAt, k.wakeAt, 'when the next pass must run');
    t.equal(p.suspension?.change, k.suspension, 'replacing suspended or resumed');
    if (k.input.from === 'last') t.equal(p.state, k.state, 'a pass from the last input leaves the state as it was');
    else {
      t.same(p.state.failures, [], 'every failure seen is decided on');
      for (const id of [...k.removals.drain, ...k.removals.reap]) t.ok(p.state.decidedForRemoval.has(id), `${id} is decided for removal`);
      for (const f of p.decided) if (f.id) t.ok(p.state.counted.has(f.id), `${f.id}'s failure is counted once`);
    }
  });
}

t.test('planPass: the state after a death, pass by pass', async (t) => {
  let state = died(fresh(), 'c');
  const first = planPass(state, pass({}), config);
  state = first.state;
  t.same([...state.died], ['c'], 'the death is remembered while the list shows the container');
  t.equal(state.exited.get('c'), NOW, 'stopped since the event');
  const again = planPass(noteDeath(state, 'c', NOW + 5, dying('c')), pass({ now: NOW + 5, starting: 1, startsInFlight: 1 }), config);
  t.same(again.decided, [], 'a second event of the same death is not a second failure');
  const gone = planPass(again.state, pass({ now: NOW + 3_000, listed: three.slice(0, 2) }), config);
  t.same([...gone.state.died], [], 'forgotten once the engine no longer lists it');
  t.same([...gone.state.exited.keys()], []);
  t.same([...gone.state.counted], []);
  t.same([...gone.state.decidedForRemoval], [], 'and its removal, once no longer in flight');
});

t.test('planPass: a member stopped within the grace period that runs again keeps its place', async (t) => {
  const stopped = planPass(fresh(), pass({ listed: [three[0], three[1], c('c', '172.20.0.3', 3, false)] }), config);
  t.same(stopped.removals.reap, [], 'not reaped within the grace period');
  t.equal(stopped.wakeAt, NOW + 2_000, 'a pass is asked for when it ends');
  const back = planPass(noteStart(stopped.state, 'c'), pass({ now: NOW + 500, starting: 1, startsInFlight: 1 }), config);
  t.same(back.plan.list, sortedThree, 'listed again');
  t.same([...back.state.exited.keys()], [], 'no longer stopped');
});

// A rolling update, step by step: 3 members on image A, the fleet asks for B. `o` is a member
// on A (old), `n` one on B (new); `ready` are those in rotation.
const img = (id: string, ip: string, image: string, created: number): ObservedContainer => ({ ...c(id, ip, created), image });
const o1 = img('o1', '172.20.0.2', 'A', 1);
const o2 = img('o2', '172.20.0.3', 'A', 2);
const o3 = img('o3', '172.20.0.4', 'A', 3);
const n1 = img('n1', '172.20.0.5', 'B', 4);
const n2 = img('n2', '172.20.0.6', 'B', 5);
const n3 = img('n3', '172.20.0.7', 'B', 6);
const ids = (...cs: ObservedContainer[]): Set<string> => new Set(cs.map((x) => x.id));

interface RollCase {
  name: string;
  image: string;
  observed: ObservedContainer[];
  ready: Set<string>;
  healthy?: Set<string>;
  removing?: Set<string>;
  starting?: number;
  start: number;
  drain: string[];
  outdated: string[];
  settled: boolean;
  waits: boolean;
}

const rollCases: RollCase[] = [
  { name: 'nothing rolls while every member runs the desired image', image: 'A', observed: [o1, o2, o3], ready: ids(o1, o2, o3), start: 0, drain: [], outdated: [], settled: true, waits: false },
  { name: 'members of unknown image are never taken for outdated', image: 'B', observed: [o1, o2, o3].map((x) => ({ ...x, image: undefined })), ready: ids(o1, o2, o3), start: 0, drain: [], outdated: [], settled: true, waits: false },
  { name: 'a new image starts one member first and drains nothing', image: 'B', observed: [o1, o2, o3], ready: ids(o1, o2, o3), start: 1, drain: [], outdated: ['o1', 'o2', 'o3'], settled: false, waits: false },
  { name: 'while that start is in flight, nothing more starts', image: 'B', observed: [o1, o2, o3], ready: ids(o1, o2, o3), starting: 1, start: 0, drain: [], outdated: ['o1', 'o2', 'o3'], settled: false, waits: true },
  { name: 'the new member runs but is not in rotation yet: wait, drain nothing', image: 'B', observed: [o1, o2, o3, n1], ready: ids(o1, o2, o3), start: 0, drain: [], outdated: ['o1', 'o2', 'o3'], settled: false, waits: true },
  { name: 'once it serves, one old member is drained (newest first, as a scale-down)', image: 'B', observed: [o1, o2, o3, n1], ready: ids(o1, o2, o3, n1), start: 0, drain: ['o3'], outdated: ['o1', 'o2'], settled: false, waits: false },
  { name: 'an old member known unhealthy goes before a healthy one', image: 'B', observed: [o1, o2, o3, n1], ready: ids(o1, o3, n1), healthy: ids(o1, o3, n1), start: 0, drain: ['o2'], outdated: ['o1', 'o3'], settled: false, waits: false },
  { name: 'while the old one drains, the next new member starts', image: 'B', observed: [o1, o2, o3, n1], ready: ids(o2, o3, n1), removing: ids(o1), start: 1, drain: ['o1'], outdated: ['o2', 'o3'], settled: false, waits: false },
  { name: 'the last old member goes once the third new one serves', image: 'B', observed: [o3, n1, n2, n3], ready: ids(o3, n1, n2, n3), start: 0, drain: ['o3'], outdated: [], settled: false, waits: false },
  { name: 'every member on the new image: settled', image: 'B', observed: [n1, n2, n3], ready: ids(n1, n2, n3), start: 0, drain: [], outdated: [], settled: true, waits: false },
  {
    name: 'a rollback: the failing new member goes first, the old ones stay',
    image: 'A',
    observed: [o1, o2, o3, n1],
    ready: ids(o1, o2, o3),
    healthy: ids(o1, o2, o3),
    start: 0,
    drain: ['n1'],
    outdated: [],
    settled: false,
    waits: false,
  },
  {
    name: 'a rollback after one step: an old-image member starts beside the new one that serves',
    image: 'A',
    observed: [o2, o3, n1, n2],
    ready: ids(o2, o3, n1),
    healthy: ids(o2, o3, n1),
    start: 0,
    drain: ['n2'],
    outdated: ['n1'],
    settled: false,
    waits: false,
  },
  { name: '…and once the failing one is gone, the old image starts', image: 'A', observed: [o2, o3, n1], ready: ids(o2, o3, n1), start: 1, drain: [], outdated: ['n1'], settled: false, waits: false },
  { name: 'a dead old member is replaced on the new image, and the surge still starts', image: 'B', observed: [o1, o2, { ...o3, running: false }], ready: ids(o1, o2), start: 2, drain: [], outdated: ['o1', 'o2'], settled: false, waits: false },
];

for (const k of rollCases) {
  t.test(`rolling: ${k.name}`, async (t) => {
    const observed = k.observed;
    const list = observed.filter((x) => x.running && !k.removing?.has(x.id)).map((x) => x.ip!);
    const holding = new Map(observed.map((x) => [x.id, listKey(list.sort(compareIps))]));
    const p = plan(base({ desired: 3, observed, image: k.image, ready: k.ready, healthy: k.healthy ?? ids(...observed), removing: k.removing ?? new Set(), starting: k.starting, holding }));
    t.equal(p.start, k.start, 'starts as many as the surge allows');
    t.same(p.drain, k.drain, 'drains an old member only once a new one serves in its place');
    t.same(p.outdated, k.outdated, 'names the members still on another image');
    t.equal(isSettled(p), k.settled, k.settled ? 'is settled' : 'is not settled');
    t.equal(waitsForRotation(p), k.waits, k.waits ? 'waits for the rotation' : 'does not wait for the rotation');
  });
}
