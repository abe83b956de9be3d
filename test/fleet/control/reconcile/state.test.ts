// What the controller learns between passes, as pure changes of its state: which deaths are
// failures to decide on, and what a start, a restart or a serving member changes.
import t from 'tap';
import type { ReplacementConfig } from '../../../../src/fleet/control/reconcile/replacement.js';
import {
  type DyingMember,
  type ReconcileState,
  initialReconcileState,
  listAnswered,
  memberServes,
  memberStarted,
  noteDeath,
  noteStart,
  startFailed,
} from '../../../../src/fleet/control/reconcile/state.js';

const config: ReplacementConfig = { backoffBaseMs: 1_000, backoffMaxMs: 60_000, burst: 5, refillMs: 3_000, windowMs: 60_000, systemicMin: 2, systemicShare: 0.25, engineErrors: 3, engineCalmMs: 5_000, engineSlowMs: 5_000 };
const initial = initialReconcileState(config, 0);
const member: DyingMember = { name: 'm-a', ip: '10.0.0.2', draining: false };

t.test('which deaths are failures for the next pass to decide on', async (t) => {
  const cases: { name: string; state: ReconcileState; member: DyingMember | undefined; failure: boolean }[] = [
    { name: 'a member that died behind fleet\'s back', state: initial, member, failure: true },
    { name: 'a member fleet is draining', state: initial, member: { ...member, draining: true }, failure: false },
    { name: 'a container fleet decided to remove', state: { ...initial, decidedForRemoval: new Set(['a']) }, member, failure: false },
    { name: 'a second event of the same death', state: noteDeath(initial, 'a', 1, member), member, failure: false },
    { name: 'a container that never was a member', state: initial, member: undefined, failure: false },
  ];
  for (const k of cases) {
    const before = k.state.failures.length;
    const next = noteDeath(k.state, 'a', 10, k.member);
    t.equal(next.failures.length - before, k.failure ? 1 : 0, `${k.name}: ${k.failure ? 'a failure' : 'no failure'}`);
    t.ok(next.died.has('a'), `${k.name}: trusted over the list`);
    t.equal(next.exited.get('a'), 10, `${k.name}: stopped since the event`);
  }
  t.same(noteDeath({ ...initial, lineage: new Map([['a', 2]]) }, 'a', 10, member).failures, [{ id: 'a', reason: 'died', attempts: 2, name: 'm-a', ip: '10.0.0.2' }], 'a replacement that dies carries its slot\'s failures in a row');
  t.same(initial.failures, [], 'the state it was given is not changed');
});

t.test('a start event: the container may run again', async (t) => {
  const dead = noteDeath(initial, 'a', 10, member);
  const back = noteStart(dead, 'a');
  t.notOk(back.died.has('a'), 'no longer dead');
  t.notOk(back.exited.has('a'), 'no longer stopped');
  t.equal(back.failures.length, 1, 'its failure stands');
  t.equal(noteStart(initial, 'b'), initial, 'a start of a container that did not stop changes nothing');
});

t.test('a replacement\'s lineage lasts until it serves', async (t) => {
  const started = memberStarted(initial, 'r', 2);
  t.equal(started.lineage.get('r'), 2);
  t.equal(memberStarted(initial, 'f', 0), initial, 'a fresh start has no lineage');
  t.notOk(memberServes(started, 'r').lineage.has('r'), 'a replacement that serves ends its slot\'s run');
  t.equal(memberServes(initial, 'x'), initial);
});

t.test('a failed start is a failure of its slot and an engine error', async (t) => {
  const next = startFailed(initial, 5, 1, config);
  t.same(next.failures, [{ id: undefined, reason: 'start', attempts: 1 }]);
  t.same(next.policy.engineErrors, [5]);
  t.equal(listAnswered(initial, 5, true, 7_000, config).policy.lastListMs, 7_000, 'a list\'s time is observed');
});
