// Which members' list pushes have failed for long enough to replace them, on a clock the test
// holds: each row is what happened, in order, and who is stale at the end.
import t from 'tap';
import { StaleLists, answered } from '../../../../src/fleet/control/reconcile/stale.js';

const REFUSED = 'fork/exec /proc/self/exe: no such file or directory';
type Step = ['failed', string, number, string?] | ['held', string] | ['engine failed'] | ['listed', string[]];

const AFTER = 30_000;

const cases: { name: string; steps: Step[]; at: number; want: string[] }[] = [
  { name: 'no failure, nobody stale', steps: [], at: 60_000, want: [] },
  { name: 'failing for less than the bound is kept', steps: [['failed', 'a', 0], ['failed', 'a', 20_000]], at: 29_999, want: [] },
  { name: 'failing for the bound is stale, counted from the first failure', steps: [['failed', 'a', 0], ['failed', 'a', 25_000]], at: 30_000, want: ['a'] },
  { name: 'a list taken in between starts the clock again', steps: [['failed', 'a', 0], ['held', 'a'], ['failed', 'a', 20_000]], at: 40_000, want: [] },
  { name: 'an engine failure in between starts every clock again', steps: [['failed', 'a', 0], ['failed', 'b', 0], ['engine failed'], ['failed', 'a', 20_000]], at: 40_000, want: [] },
  { name: 'after the engine is back, failing counts from the first failure since', steps: [['failed', 'a', 0], ['engine failed'], ['failed', 'a', 20_000]], at: 50_000, want: ['a'] },
  { name: 'only the member that keeps failing is named', steps: [['failed', 'a', 0], ['failed', 'b', 0], ['held', 'b'], ['failed', 'c', 10_000]], at: 31_000, want: ['a'] },
  { name: 'a push that timed out is the engine being slow, not the member', steps: [['failed', 'a', 0, 'no acknowledgement within 2000 ms']], at: 60_000, want: [] },
  { name: 'an engine out of reach is not the member', steps: [['failed', 'a', 0, 'connect ECONNREFUSED /var/run/docker.sock']], at: 60_000, want: [] },
  { name: 'a member the engine no longer lists is forgotten', steps: [['failed', 'a', 0], ['failed', 'b', 0], ['listed', ['b']]], at: 60_000, want: ['b'] },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const stale = new StaleLists();
    for (const step of c.steps) {
      if (step[0] === 'failed') stale.failed(step[1], step[2], step[3] ?? REFUSED);
      else if (step[0] === 'held') stale.held(step[1]);
      else if (step[0] === 'listed') stale.keepOnly(new Set(step[1]));
      else stale.engineFailed();
    }
    t.same(stale.stale(c.at, AFTER), c.want);
  });
}

const reasons: [string, boolean][] = [
  [`cannot start the list reader in 0123456789ab: (HTTP code 500) server error - ${REFUSED}`, true],
  ['fleet-set-members exited with 1: cannot write /srv/fleet/members.txt', true],
  ['the reader answered "garbage"', true],
  ['the session closed: the reader exited', true],
  ['the engine did not open a session within 5000 ms', false],
  ['the reader did not say ready within 5000 ms', false],
  ['no acknowledgement within 2000 ms', false],
  ['socket hang up', false],
  ['connect ENOENT /var/run/docker.sock', false],
  ['read ECONNRESET', false],
];
t.test('a failure counts against the member only when something answered', async (t) => {
  for (const [reason, want] of reasons) t.equal(answered(reason), want, reason);
});
