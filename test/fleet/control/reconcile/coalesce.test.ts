import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { Coalescer } from '../../../../src/fleet/control/reconcile/coalesce.js';

t.test('a burst of triggers runs the task once', async (t) => {
  let runs = 0;
  const c = new Coalescer(async () => void runs++, 10, () => {});
  for (let i = 0; i < 50; i++) c.trigger();
  await sleep(60);
  t.equal(runs, 1);
});

t.test('triggers during a run cause exactly one more run, never two at once', async (t) => {
  let runs = 0;
  let active = 0;
  let overlap = false;
  const c = new Coalescer(
    async () => {
      active++;
      overlap ||= active > 1;
      runs++;
      await sleep(30);
      active--;
    },
    1,
    () => {},
  );
  c.trigger();
  await sleep(10);
  for (let i = 0; i < 20; i++) c.trigger();
  await sleep(120);
  t.equal(runs, 2, 'one run for the burst during the first');
  t.notOk(overlap, 'runs never overlap');
});

t.test('a failing task is reported and later triggers still run', async (t) => {
  const errors: unknown[] = [];
  let runs = 0;
  const c = new Coalescer(
    async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    },
    1,
    (e) => errors.push(e),
  );
  c.trigger();
  await sleep(20);
  c.trigger();
  await sleep(20);
  t.equal(errors.length, 1, 'the error reached the handler');
  t.equal(runs, 2, 'the next trigger ran');
});

t.test('stop cancels a pending run', async (t) => {
  let runs = 0;
  const c = new Coalescer(async () => void runs++, 10, () => {});
  c.trigger();
  c.stop();
  c.trigger();
  await sleep(40);
  t.equal(runs, 0);
});
