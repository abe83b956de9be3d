import t from 'tap';
import { type NewMember, type RolloutView, rolloutVerdict } from '../../../src/fleet/use-cases/rollout-verdict.js';

const m = (name: string, health: NewMember['health'], inRotation: boolean, served = inRotation): NewMember => ({ name, ip: `10.0.0.${name.slice(1)}`, health, inRotation, served });

const view = (over: Partial<RolloutView>): RolloutView => ({ now: 10_000, progressAt: 0, readyTimeoutMs: 60_000, desired: 3, image: 'img:2', fresh: [], outdated: 3, ...over });

const cases: { name: string; view: RolloutView; verdict: ReturnType<typeof rolloutVerdict> }[] = [
  { name: 'a rollout that just began waits', view: view({}), verdict: { kind: 'wait' } },
  { name: 'a new member not judged yet is waited for', view: view({ fresh: [m('n1', 'unknown', false)] }), verdict: { kind: 'wait' } },
  { name: 'a new member up but not in rotation yet (no list) is waited for', view: view({ fresh: [m('n1', 'up', false)] }), verdict: { kind: 'wait' } },
  {
    name: 'a new member whose checks fail rolls back at once, named',
    view: view({ fresh: [m('n1', 'up', true), m('n2', 'down', false)], outdated: 2 }),
    verdict: { kind: 'rollback', reason: 'member n2 (10.0.0.2) on img:2 failed its health checks' },
  },
  { name: 'a new member that served and then went down (a passive failure) is waited for', view: view({ fresh: [m('n1', 'down', false, true)], outdated: 2 }), verdict: { kind: 'wait' } },
  {
    name: 'one that left rotation and stayed out past the ready timeout rolls back, named',
    view: view({ now: 60_000, fresh: [m('n1', 'down', false, true)], outdated: 2 }),
    verdict: { kind: 'rollback', reason: 'member n1 (10.0.0.1) on img:2 left rotation and did not return within the ready timeout (60 s)' },
  },
  {
    name: 'a member not in rotation within the ready timeout rolls back, named',
    view: view({ now: 60_000, fresh: [m('n1', 'unknown', false)] }),
    verdict: { kind: 'rollback', reason: 'member n1 (10.0.0.1) on img:2 did not enter rotation within the ready timeout (60 s)' },
  },
  { name: 'the timeout counts from the last progress, not from the start', view: view({ now: 100_000, progressAt: 50_000, fresh: [m('n1', 'up', true)], outdated: 2 }), verdict: { kind: 'wait' } },
  {
    name: 'no new member at all by the timeout rolls back with the engine error',
    view: view({ now: 70_000, lastError: 'cannot start a member from img:2: no space left' }),
    verdict: { kind: 'rollback', reason: 'no member on img:2 came up within the ready timeout (60 s): cannot start a member from img:2: no space left' },
  },
  { name: 'every member new and in rotation: done', view: view({ fresh: [m('n1', 'up', true), m('n2', 'up', true), m('n3', 'up', true)], outdated: 0 }), verdict: { kind: 'done' } },
  { name: 'new members serving but an old one left: wait', view: view({ fresh: [m('n1', 'up', true), m('n2', 'up', true), m('n3', 'up', true)], outdated: 1 }), verdict: { kind: 'wait' } },
  { name: 'a rollout to the image already running is done at once', view: view({ fresh: [m('n1', 'up', true), m('n2', 'up', true), m('n3', 'up', true)], outdated: 0, progressAt: 10_000 }), verdict: { kind: 'done' } },
  { name: 'done wins over a timeout that ran out at the same moment', view: view({ now: 1e9, fresh: [m('n1', 'up', true), m('n2', 'up', true), m('n3', 'up', true)], outdated: 0 }), verdict: { kind: 'done' } },
];

for (const k of cases) {
  t.test(k.name, async (t) => {
    t.same(rolloutVerdict(k.view), k.verdict);
  });
}
