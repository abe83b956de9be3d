// The coalescer on a make-believe clock: the test moves time, so "later" and "meanwhile"
// are exact, not a guess about how long a sleep must be.
import t from 'tap';
import { Clock } from '@tapjs/clock';
import { Coalescer } from '../../../../src/fleet/control/reconcile/coalesce.js';

/** Lets the task's promise chain (and the coalescer's `finally`) settle. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A task the test ends by hand, counting its runs and whether two ever overlapped. */
function heldTask() {
  const state = { runs: 0, active: 0, overlap: false, finish: [] as (() => void)[] };
  const task = (): Promise<void> => {
    state.runs++;
    state.active++;
    state.overlap ||= state.active > 1;
    return new Promise<void>((resolve) =>
      state.finish.push(() => {
        state.active--;
        resolve();
      }),
    );
  };
  return { state, task };
}

t.test('a burst of triggers runs the task once, delayMs after the first', async (t) => {
  const clock = new Clock();
  let runs = 0;
  const c = new Coalescer(async () => void runs++, 10, () => {}, clock);
  for (let i = 0; i < 50; i++) c.trigger();
  clock.advance(9);
  t.equal(runs, 0, 'nothing runs before the delay');
  clock.advance(1);
  await settle();
  t.equal(runs, 1, 'one run for the whole burst');
  clock.advance(1_000);
  await settle();
  t.equal(runs, 1, 'and no other run later');
});

t.test('triggers keep arriving: the run is not put off (a throttle, not a debounce)', async (t) => {
  const clock = new Clock();
  let runs = 0;
  const c = new Coalescer(async () => void runs++, 10, () => {}, clock);
  c.trigger();
  for (let i = 0; i < 9; i++) {
    clock.advance(1);
    c.trigger();
  }
  clock.advance(1);
  await settle();
  t.equal(runs, 1, 'the run came 10 ms after the first trigger');
});

t.test('triggers during a run cause exactly one more run, never two at once', async (t) => {
  const clock = new Clock();
  const { state, task } = heldTask();
  const c = new Coalescer(task, 1, () => {}, clock);
  c.trigger();
  clock.advance(1);
  t.equal(state.runs, 1, 'the first run started');
  for (let i = 0; i < 20; i++) c.trigger();
  clock.advance(100);
  t.equal(state.runs, 1, 'no second run while the first is going');
  state.finish.shift()?.();
  await settle();
  clock.advance(1);
  t.equal(state.runs, 2, 'one run for the burst during the first');
  state.finish.shift()?.();
  await settle();
  clock.advance(100);
  t.equal(state.runs, 2, 'and no third');
  t.notOk(state.overlap, 'runs never overlap');
});

t.test('a failing task is reported and later triggers still run', async (t) => {
  const clock = new Clock();
  const errors: unknown[] = [];
  let runs = 0;
  const c = new Coalescer(
    async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    },
    1,
    (e) => errors.push(e),
    clock,
  );
  c.trigger();
  clock.advance(1);
  await settle();
  t.match(errors, [{ message: 'boom' }], 'the error reached the handler');
  c.trigger();
  clock.advance(1);
  await settle();
  t.equal(runs, 2, 'the next trigger ran');
  t.equal(errors.length, 1, 'and reported nothing');
});

t.test('stop cancels a pending run and ignores later triggers', async (t) => {
  const clock = new Clock();
  let runs = 0;
  const c = new Coalescer(async () => void runs++, 10, () => {}, clock);
  c.trigger();
  c.stop();
  c.trigger();
  clock.advance(1_000);
  await settle();
  t.equal(runs, 0);
  t.equal(clock.timers.size, 0, 'no timer is left on the clock');
});
