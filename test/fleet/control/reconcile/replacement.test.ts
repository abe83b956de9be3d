// The replacement policy on a clock the tests hold: backoff, the fleet-wide rate, systemic
// failure and its end.
import t from 'tap';
import {
  type ReplacementConfig,
  type ReplacementState,
  backoff,
  decide,
  engineAnswered,
  failed,
  initialState,
  systemic,
} from '../../../../src/fleet/control/reconcile/replacement.js';

const config: ReplacementConfig = {
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  burst: 5,
  refillMs: 3_000,
  windowMs: 60_000,
  systemicMin: 5,
  systemicShare: 0.25,
  engineErrors: 3,
  engineCalmMs: 5_000,
  engineSlowMs: 5_000,
};

t.test('backoff doubles from the base and stops at the cap', async (t) => {
  const cases: [number, number][] = [
    [0, 0],
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [6, 32_000],
    [7, 60_000],
    [50, 60_000],
  ];
  for (const [failures, ms] of cases) t.equal(backoff(failures, 1_000, 60_000), ms, `${failures} failures wait ${ms} ms`);
});

t.test('a slot that keeps failing waits longer each time', async (t) => {
  let state = initialState(config, 0);
  const waits: number[] = [];
  let now = 0;
  for (let attempt = 1; attempt < 6; attempt++) {
    state = failed(state, now, attempt, config);
    // Each failure comes long after the last: neither the rate nor the window holds it back.
    const owed = state.owed[0];
    waits.push(owed.notBefore - now);
    const early = decide(state, owed.notBefore - 1, 1, 100, config);
    t.same(early.start, [], `attempt ${attempt + 1} is held until its backoff ends`);
    t.equal(early.wakeAt, owed.notBefore, 'and a pass is asked for when it does');
    const due = decide(early.state, owed.notBefore, 1, 100, config);
    t.same(due.start, [attempt + 1], `attempt ${attempt + 1} starts when its backoff ends`);
    state = due.state;
    now = owed.notBefore + 120_000;
  }
  t.same(waits, [1_000, 2_000, 4_000, 8_000, 16_000], 'the waits double from the second failure on');
});

t.test('replacements across the fleet are bounded by the bucket', async (t) => {
  // 12 failures at t=0 (below systemic for 100 members: 25), all owed at once. The bucket
  // refills from when it was last full: one token every 3 s after the burst at 1 s.
  let state = initialState(config, 0);
  for (let i = 0; i < 12; i++) state = failed(state, 0, 0, config);
  const table: { at: number; started: number }[] = [
    { at: 1_000, started: 5 },
    { at: 3_000, started: 0 },
    { at: 4_000, started: 1 },
    { at: 10_000, started: 2 },
    { at: 60_000, started: 4 },
  ];
  for (const row of table) {
    const d = decide(state, row.at, 12, 100, config);
    t.equal(d.start.length, row.started, `at ${row.at} ms, ${row.started} replacements start`);
    state = d.state;
  }
});

t.test('fresh starts are not replacements: only the owed part of the gap waits', async (t) => {
  let state = initialState(config, 0);
  state = failed(state, 0, 1, config);
  const d = decide(state, 0, 10, 10, config);
  t.equal(d.fresh, 9, 'nine fresh starts go at once');
  t.same(d.start, [], 'the replacement waits its backoff');
  t.equal(d.held, 1, 'and is reported held');
});

t.test('what is owed beyond the gap is dropped, the most failed slots first', async (t) => {
  let state = initialState(config, 0);
  state = failed(state, 0, 0, config);
  state = failed(state, 0, 4, config);
  const d = decide(state, 100_000, 1, 10, config);
  t.same(d.start, [1], 'the gentler slot is the one kept');
  t.same(d.state.owed, [], 'nothing else is owed');
});

t.test('systemic failure: when and why replacing stops, and that it resumes', async (t) => {
  const at = (failures: number[], errors: number[] = [], listMs = 0, okSince?: number): ReplacementState => ({
    ...initialState(config, 0),
    failures,
    engineErrors: errors,
    engineOkSince: errors.length ? okSince : 0,
    lastListMs: listMs,
  });
  const cases: { name: string; state: ReplacementState; now: number; desired: number; want: string | undefined }[] = [
    { name: 'one death in a small fleet', state: at([0]), now: 0, desired: 3, want: undefined },
    { name: 'five deaths in a minute', state: at([0, 1, 2, 3, 4]), now: 10, desired: 3, want: 'failures' },
    { name: 'five deaths in a fleet of 100 (a quarter is 25)', state: at([0, 1, 2, 3, 4]), now: 10, desired: 100, want: undefined },
    { name: 'twenty-five deaths in a fleet of 100', state: at(Array.from({ length: 25 }, (_, i) => i)), now: 30, desired: 100, want: 'failures' },
    { name: 'five deaths that are over a minute old', state: at([0, 1, 2, 3, 4]), now: 60_005, desired: 3, want: undefined },
    { name: 'three engine errors', state: at([], [0, 10, 20]), now: 30, desired: 3, want: 'engine-errors' },
    { name: 'three engine errors a minute ago', state: at([], [0, 10, 20]), now: 60_021, desired: 3, want: undefined },
    { name: 'three engine errors, then good answers for 3 s', state: at([], [0, 10, 20], 0, 25), now: 3_025, desired: 3, want: 'engine-errors' },
    { name: 'three engine errors, then good answers for 5 s: recovered', state: at([], [0, 10, 20], 0, 25), now: 5_025, desired: 3, want: undefined },
    { name: 'a list that took 6 s', state: at([], [], 6_000), now: 0, desired: 3, want: 'engine-slow' },
    { name: 'a list that took 4 s', state: at([], [], 4_000), now: 0, desired: 3, want: undefined },
  ];
  for (const c of cases) t.equal(systemic(c.state, c.now, c.desired, config), c.want, `${c.name}: ${c.want ?? 'not systemic'}`);

  let state = initialState(config, 0);
  for (let i = 0; i < 5; i++) state = failed(state, i, 0, config);
  const during = decide(state, 10_000, 5, 3, config);
  t.equal(during.suspended, 'failures', 'replacing is suspended while the failures are recent');
  t.same(during.start, [], 'and nothing is replaced');
  const after = decide(during.state, 60_010, 5, 3, config);
  t.equal(after.suspended, undefined, 'a minute later it resumes by itself');
  t.equal(after.start.length, 5, 'and the owed replacements start');

  let erring = initialState(config, 0);
  for (const at of [0, 100, 200]) erring = engineAnswered(erring, at, false, config);
  erring = engineAnswered(erring, 8_000, true, config, 20);
  t.equal(systemic(erring, 8_000, 3, config), 'engine-errors', 'an engine that erred is not trusted on its first good answer');
  erring = engineAnswered(erring, 10_000, false, config);
  erring = engineAnswered(erring, 12_000, true, config, 20);
  t.equal(systemic(erring, 16_000, 3, config), 'engine-errors', 'a new error starts its calm period again');
  t.equal(systemic(erring, 17_000, 3, config), undefined, 'five seconds of good answers since the last error end it');

  let slow = engineAnswered(initialState(config, 0), 0, true, config, 8_000);
  t.equal(decide(failed(slow, 0, 0, config), 5_000, 1, 3, config).suspended, 'engine-slow', 'a slow engine suspends replacing');
  slow = engineAnswered(slow, 6_000, true, config, 20);
  t.equal(systemic(slow, 6_000, 3, config), undefined, 'a fast list again ends it');
});

t.test('while the engine errs, fresh starts wait too; a slow engine or failing members hold only replacements', async (t) => {
  let erring = initialState(config, 0);
  for (const at of [0, 100, 200]) erring = engineAnswered(erring, at, false, config);
  const during = decide(erring, 300, 4, 4, config);
  t.same([during.suspended, during.start, during.fresh], ['engine-errors', [], 0], 'dockerd erring: nothing starts');
  erring = engineAnswered(during.state, 1_000, true, config, 20);
  t.same(decide(erring, 6_000, 4, 4, config).fresh, 4, 'five seconds of good answers: the gap starts');

  const slow = engineAnswered(initialState(config, 0), 0, true, config, 8_000);
  t.same([decide(slow, 100, 4, 4, config).suspended, decide(slow, 100, 4, 4, config).fresh], ['engine-slow', 4], 'a slow engine still gets the fresh starts (up on it converges)');
  let failing = initialState(config, 0);
  for (let i = 0; i < 5; i++) failing = failed(failing, i, 0, config);
  const added = decide(failing, 10, 7, 3, config);
  t.same([added.suspended, added.start, added.fresh], ['failures', [], 2], 'members failing together: replacements held, an added member starts');
});

t.test("failures the engine caused are the engine's: replacing resumes when it is calm, not a window later", async (t) => {
  type Step = ['died', number] | ['erred', number] | ['answered', number];
  const run = (steps: Step[]): ReplacementState =>
    steps.reduce((state, [what, at]) => (what === 'died' ? failed(state, at, 0, config) : engineAnswered(state, at, what === 'answered', config, 20)), initialState(config, 0));
  // As seen with dockerd stopped during `up` of 4: members die, the first calls fail, starts sent meanwhile fail.
  const dockerdStops: Step[] = [['died', 1_000], ['died', 1_050], ['erred', 1_070], ['died', 1_200], ['died', 1_400], ['erred', 1_500], ['erred', 1_600], ['died', 1_650], ['died', 1_700]];
  const cases: { name: string; steps: Step[]; now: number; want: string | undefined; owed: number }[] = [
    { name: 'members die just before and while dockerd stops', steps: dockerdStops, now: 2_000, want: 'engine-errors', owed: 6 },
    { name: '…and it answers well again for 5 s', steps: [...dockerdStops, ['erred', 9_000], ['answered', 10_000]], now: 15_000, want: undefined, owed: 6 },
    { name: 'the same deaths with an engine that answers: members failing together', steps: [['died', 1_000], ['died', 1_050], ['died', 1_200], ['died', 1_400], ['died', 1_450]], now: 2_000, want: 'failures', owed: 5 },
    { name: 'deaths 10 s before the engine erred are the members\' own', steps: [['died', 0], ['died', 10], ['died', 20], ['died', 30], ['died', 40], ['erred', 10_050], ['erred', 10_060], ['erred', 10_070], ['answered', 11_000]], now: 16_500, want: 'failures', owed: 5 },
    { name: 'one engine error discounts nothing', steps: [['died', 0], ['died', 10], ['died', 20], ['died', 30], ['erred', 40], ['died', 50], ['answered', 60]], now: 100, want: 'failures', owed: 5 },
  ];
  for (const c of cases) {
    const state = run(c.steps);
    t.equal(systemic(state, c.now, 4, config), c.want, `${c.name}: ${c.want ?? 'not systemic'}`);
    t.equal(state.owed.length, c.owed, `${c.name}: ${c.owed} replacements owed`);
  }
  const back = run([...dockerdStops, ['erred', 9_000], ['answered', 10_000]]);
  t.same(decide(back, 15_000, 4, 4, config).start, [1, 1, 1, 1], 'once calm, the 4 places are replaced (each its first failure: no backoff)');
});

t.test('the starts in flight bound both kinds: replacements first, the rest wait their turn', async (t) => {
  let state = initialState(config, 0);
  state = failed(state, 0, 0, config);
  state = failed(state, 0, 0, config);
  const d = decide(state, 5_000, 10, 100, config, 3);
  t.same(d.start, [1, 1], 'both owed replacements start');
  t.equal(d.fresh, 1, 'one fresh start fills the room left');
  const none = decide(state, 5_000, 10, 100, config, 0);
  t.same([none.start, none.fresh, none.held], [[], 0, 2], 'no room: nothing starts and nothing owed is lost');
});
