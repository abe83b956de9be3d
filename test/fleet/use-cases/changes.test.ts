// What a scale reports: the members the controller started and removed while it ran, not
// what a replacement did meanwhile.
import t from 'tap';
import { ChangeRecorder, recordingEngine } from '../../../src/fleet/use-cases/changes.js';

// One step of what the controller does, in order: `open` begins the scale's recording.
type Step = ['open'] | ['start', string] | ['begin', string] | ['end', string] | ['remove', string] | ['replacing', string];

t.test('a change is what the controller did while it was recorded', async (t) => {
  const cases: { what: string; delta: number; steps: Step[]; started: string[]; removed: string[] }[] = [
    { what: 'an add: the starts it asked for', delta: 2, steps: [['open'], ['start', 'a'], ['start', 'b']], started: ['a', 'b'], removed: [] },
    { what: 'a remove: the removals it asked for', delta: -1, steps: [['open'], ['remove', 'x']], started: [], removed: ['x'] },
    { what: 'a start before the change is not its', delta: 1, steps: [['start', 'old'], ['open'], ['start', 'a']], started: ['a'], removed: [] },
    { what: 'nor a start in flight when it began', delta: 1, steps: [['begin', 'old'], ['open'], ['start', 'a'], ['end', 'old']], started: ['a'], removed: [] },
    { what: "a death's replacement during an add is not added", delta: 1, steps: [['open'], ['replacing', 'dead'], ['start', 'r'], ['start', 'a'], ['remove', 'dead']], started: ['a'], removed: [] },
    { what: "nor is the dead member's removal during a remove", delta: -1, steps: [['open'], ['replacing', 'dead'], ['start', 'r'], ['remove', 'x'], ['remove', 'dead']], started: [], removed: ['x'] },
    { what: 'a replacement decided before the change is still no command of it', delta: -1, steps: [['replacing', 'dead'], ['open'], ['remove', 'dead'], ['remove', 'x']], started: [], removed: ['x'] },
    { what: 'never more than asked', delta: 1, steps: [['open'], ['start', 'a'], ['start', 'b']], started: ['a'], removed: [] },
    { what: 'a held replacement whose start never came does not hide the add', delta: 1, steps: [['open'], ['replacing', 'dead'], ['start', 'a']], started: ['a'], removed: [] },
  ];
  for (const c of cases) {
    const recorder = new ChangeRecorder();
    let recording: ReturnType<ChangeRecorder['record']> | undefined;
    const inFlight = new Map<string, (id: string) => void>();
    for (const step of c.steps) {
      if (step[0] === 'open') recording = recorder.record();
      else if (step[0] === 'start') recorder.startBegun()(step[1]);
      else if (step[0] === 'begin') inFlight.set(step[1], recorder.startBegun());
      else if (step[0] === 'end') inFlight.get(step[1])!(step[1]);
      else if (step[0] === 'remove') recorder.removed(step[1]);
      else recorder.replacing(step[1]);
    }
    t.same(recording!.stop(c.delta), { started: c.started, removed: c.removed }, c.what);
  }
});

t.test('after it stopped, a recording hears nothing more', async (t) => {
  const recorder = new ChangeRecorder();
  const recording = recorder.record();
  const late = recorder.startBegun();
  t.same(recording.stop(1), { started: [], removed: [] }, 'nothing happened while it recorded');
  late('a');
  recorder.removed('x');
  t.same(recorder.record().stop(1), { started: [], removed: [] }, 'and a new one starts empty');
});

t.test('the recording engine tells the recorder what completed, and only that', async (t) => {
  const recorder = new ChangeRecorder();
  let next = 0;
  const engine = recordingEngine(
    {
      listMembers: async () => [],
      startMember: async () => `m${++next}`,
      stopAndRemove: async (id) => {
        if (id === 'stuck') throw new Error('engine said no');
      },
    },
    recorder,
  );
  const recording = recorder.record();
  t.equal(await engine.startMember({ fleet: 'f', image: 'i', limits: { memoryBytes: 1, cpus: 1 } }), 'm1', 'a start answers its id');
  await engine.stopAndRemove('gone', 0);
  await t.rejects(engine.stopAndRemove('stuck', 0), /engine said no/, 'a failed removal fails');
  t.same(await engine.listMembers('f'), [], 'a list passes through');
  t.same(recording.stop(1), { started: ['m1'], removed: [] }, 'an add reports its start');
  const removal = recorder.record();
  await engine.stopAndRemove('gone', 0);
  await t.rejects(engine.stopAndRemove('stuck', 0));
  t.same(removal.stop(-2), { started: [], removed: ['gone'] }, 'a remove reports what was removed, not what failed');
});
