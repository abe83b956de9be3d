import t from 'tap';
import { type Health, UNKNOWN, nextHealth, passiveFailure } from '../../../src/fleet/control/health.js';

const config = { rise: 2, fall: 3 };
const up = (successes = 1): Health => ({ up: true, successes, failures: 0 });
const down = (failures = 3): Health => ({ up: false, successes: 0, failures });

const cases: [string, Health, boolean[], boolean | undefined][] = [
  ['a new member enters on its first good check', UNKNOWN, [true], true],
  ['a new member that fails its first check is not judged yet', UNKNOWN, [false], undefined],
  ['a new member that fails fall-1 checks then passes one enters', UNKNOWN, [false, false, true], true],
  ['a new member that fails fall checks in a row is down', UNKNOWN, [false, false, false], false],
  ['an up member stays up after fall-1 failures', up(), [false, false], true],
  ['an up member goes down after fall failures', up(), [false, false, false], false],
  ['a success resets the failure count', up(), [false, false, true, false, false], true],
  ['a down member stays down after rise-1 successes', down(), [true], false],
  ['a down member comes back after rise successes', down(), [true, true], true],
  ['a failure resets the success count', down(), [true, false, true], false],
  ['a passive failure needs rise good checks to return', passiveFailure(config), [true], false],
  ['and returns after them', passiveFailure(config), [true, true], true],
];

for (const [name, start, results, expected] of cases) {
  t.test(name, async (t) => {
    const end = results.reduce((h, ok) => nextHealth(h, ok, config), start);
    t.equal(end.up, expected);
  });
}

t.test('rise 1 and fall 1 act on every check', async (t) => {
  const fast = { rise: 1, fall: 1 };
  t.equal(nextHealth(up(), false, fast).up, false, 'one failure takes it down');
  t.equal(nextHealth(down(1), true, fast).up, true, 'one success brings it back');
  t.equal(nextHealth(UNKNOWN, false, fast).up, false, 'a new member that fails its first check is down');
});
