// The control loop's safety rules, with an in-memory engine behind the controller's
// engine port (Docker's own behaviour is covered end to end in test/fleet/e2e).
import t from 'tap';
import { Clock } from '@tapjs/clock';
import { PassThrough } from 'node:stream';
import { Logger } from '../../../../src/log.js';
import { MemberSet } from '../../../../src/fleet/control/members.js';
import { Controller, type ControllerEngine } from '../../../../src/fleet/control/reconcile/controller.js';
import { ListDistributor } from '../../../../src/fleet/control/lists/distributor.js';
import type { ObservedContainer } from '../../../../src/fleet/control/reconcile/plan.js';
import { FakeReaders } from '../lists/fake-reader.js';

class MemoryEngine implements ControllerEngine {
  containers: ObservedContainer[] = [];
  removed: string[] = [];
  started = 0;
  /**
   * Answers for the next listMembers calls: an error, an empty list, or (`late`) the truth as
   * it is when the call begins, answered only after the next removal has ended.
   */
  glitches: ('error' | 'empty' | 'late')[] = [];
  /** While set, removals wait for it: `releaseRemovals` lets them end. */
  private removalGate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  /** Removals begun and not yet ended. */
  removing = 0;
  /** Every start and removal, in order, with the list writes of the readers. */
  private next = 0;
  constructor(readonly readers: FakeReaders) {}

  /** How many times the fleet was listed. */
  lists = 0;
  private removalWaiters: ((id: string) => void)[] = [];

  async listMembers(): Promise<ObservedContainer[]> {
    this.lists++;
    const glitch = this.glitches.shift();
    if (glitch === 'error') throw new Error('engine hiccup');
    if (glitch === 'empty') return [];
    const now = this.containers.map((c) => ({ ...c }));
    if (glitch === 'late') await this.nextRemoval();
    return now;
  }

  /** Starts in flight now, and the most there ever were at once. */
  inFlight = 0;
  mostInFlight = 0;

  async startMember(): Promise<string> {
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.inFlight--;
    this.started++;
    const n = ++this.next;
    const id = `c${n}`;
    this.containers.push({ id, name: `m${n}`, ip: `10.0.0.${n}`, running: true, created: n });
    return id;
  }

  holdRemovals(): void {
    this.removalGate = new Promise((resolve) => (this.openGate = resolve));
  }

  releaseRemovals(): void {
    this.openGate?.();
    this.removalGate = undefined;
  }

  async stopAndRemove(id: string): Promise<void> {
    this.removing++;
    await this.removalGate;
    this.removing--;
    this.removed.push(id);
    this.readers.writes.push(`${id} removed`);
    this.containers = this.containers.filter((c) => c.id !== id);
    for (const resolve of this.removalWaiters.splice(0)) resolve(id);
  }

  /** The next container removed. */
  nextRemoval(): Promise<string> {
    return new Promise((resolve) => this.removalWaiters.push(resolve));
  }
}

/** A controller over in-memory fakes; with `clock`, every decision by time reads it (passes still run on the host's timers). */
function setup(desired: number, replaceAfterMs = 0, exitGraceMs = 0, clock?: Clock) {
  const readers = new FakeReaders();
  const engine = new MemoryEngine(readers);
  const now = clock ? () => clock.now() : Date.now;
  const members = new MemberSet({ rise: 2, fall: 3 }, () => {}, now);
  const log = new Logger({ level: 'ERROR', stream: new PassThrough() });
  const lists = new ListDistributor(readers, log);
  const controller = new Controller(
    engine,
    members,
    lists,
    {
      check: async (id) => {
        members.report(id, true);
        return true;
      },
    },
    { fleet: 'f', image: 'i', limits: { memoryBytes: 64 * 1024 * 1024, cpus: 0.5 }, port: 8080, desired, drainTimeoutMs: 100, stopGraceSeconds: 1, replaceAfterMs, coalesceMs: 1, exitGraceMs, ...(clock && { now, timers: clock }) },
    log,
  );
  const stop = (): void => {
    controller.stop();
    lists.close();
  };
  return { engine, readers, members, controller, lists, stop };
}

t.test('a fleet converges: members started, every list pushed, all in rotation', async (t) => {
  const { engine, readers, members, controller, stop } = setup(3);
  t.teardown(stop);
  await controller.settle(5_000);
  t.equal(engine.started, 3);
  for (const c of engine.containers) t.same(readers.lists.get(c.id), ['10.0.0.1', '10.0.0.2', '10.0.0.3'], `${c.id} holds the whole list`);
  t.equal(members.rotation.length, 3, 'all three serve');
});

t.test('a failed observation takes nothing away', async (t) => {
  const { engine, members, controller, stop } = setup(3);
  t.teardown(stop);
  await controller.settle(5_000);
  engine.glitches.push('error', 'error');
  await controller.settle(5_000);
  t.same(engine.removed, [], 'nothing was removed');
  t.equal(engine.started, 3, 'nothing was started');
  t.equal(members.rotation.length, 3, 'the rotation is intact');
  t.equal(controller.lastError, undefined, 'the error cleared once the engine answered again');
});

t.test('one empty observation is not believed', async (t) => {
  const { engine, members, controller, stop } = setup(3);
  t.teardown(stop);
  await controller.settle(5_000);
  engine.glitches.push('empty');
  await controller.settle(5_000);
  t.same(engine.removed, [], 'nothing was removed');
  t.equal(engine.started, 3, 'no replacement was started for members that are still there');
  t.equal(members.rotation.length, 3);
});

t.test('a dead member is reaped and replaced, and the survivors get the new list', async (t) => {
  const { engine, readers, members, controller, stop } = setup(3);
  t.teardown(stop);
  await controller.settle(5_000);
  engine.containers[0].running = false;
  await controller.settle(5_000);
  t.same(engine.removed, ['c1'], 'the dead container was removed');
  t.equal(engine.started, 4, 'one replacement');
  for (const c of engine.containers) t.same(readers.lists.get(c.id), ['10.0.0.2', '10.0.0.3', '10.0.0.4'], `${c.id} holds the new list`);
  t.equal(members.rotation.length, 3);
});

t.test('a die event counts even while the list still shows the container running', async (t) => {
  const { engine, controller, stop } = setup(2);
  t.teardown(stop);
  await controller.settle(5_000);
  controller.observeDeath('c1');
  await controller.settle(5_000);
  t.same(engine.removed, ['c1'], 'the died container was reaped');
  t.equal(engine.containers.length, 2, 'and replaced');
});

t.test('lists already in place are not pushed again', async (t) => {
  const { readers, controller, stop } = setup(2);
  t.teardown(stop);
  await controller.settle(5_000);
  const before = readers.writes.length;
  await controller.settle(5_000);
  await controller.settle(5_000);
  t.equal(readers.writes.length, before, 'resyncs of a settled fleet write nothing');
});

t.test('scaling down stops the surplus only after the others hold the new list', async (t) => {
  const { readers, controller, stop } = setup(3);
  t.teardown(stop);
  await controller.settle(5_000);
  const before = readers.writes.length;
  controller.scaleTo(2);
  await controller.settle(5_000);
  t.match(readers.writes.slice(before), [/^c1 \d+ session$/, /^c2 \d+ session$/, 'c3 removed'], 'the others get the list first, then the newest member stops');
  t.same(readers.lists.get('c1'), ['10.0.0.1', '10.0.0.2']);
});

t.test('a member that stays unhealthy is replaced, and the replacement stays', async (t) => {
  const clock = new Clock();
  const { engine, members, controller, stop } = setup(2, 1, 0, clock);
  t.teardown(stop);
  await controller.settle(5_000);
  members.reportUnreachable('c1');
  clock.advance(5);
  await controller.settle(5_000);
  t.same(engine.removed, ['c1'], 'only the failing member was removed');
  t.same(
    engine.containers.map((c) => c.id),
    ['c2', 'c3'],
    'its replacement runs beside the healthy one',
  );
});

t.test('after a death the survivors drop the dead member at once, and list the replacement once it serves', async (t) => {
  const { engine, readers, controller, stop } = setup(3);
  t.teardown(stop);
  await controller.settle(5_000);
  const before = readers.writes.length;
  const listed = engine.lists;
  controller.observeDeath('c1');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(engine.lists, listed, 'planned from the last observation: the engine was not asked');
  t.same(readers.lists.get('c2'), ['10.0.0.2', '10.0.0.3'], 'before any pass, c2 no longer lists the dead member');
  t.same(readers.lists.get('c3'), ['10.0.0.2', '10.0.0.3'], 'nor does c3');
  engine.containers[0].running = false;
  await controller.settle(5_000);
  const writes = readers.writes.slice(before).filter((w) => !w.endsWith('removed'));
  const first = writes.findIndex((w) => w.startsWith('c4 '));
  const later = writes.findIndex((w, i) => i > 2 && (w.startsWith('c2 ') || w.startsWith('c3 ')));
  t.ok(first >= 0 && first < later, `the replacement gets its list before its peers list it (${writes.join(', ')})`);
  t.equal(writes.length, 5, 'one write per member per generation: two each for the survivors, one for the replacement');
  for (const c of engine.containers) t.same(readers.lists.get(c.id), ['10.0.0.2', '10.0.0.3', '10.0.0.4'], `${c.id} holds the final list`);
});

t.test('a member restarted within the grace period comes back, and the surplus replacement goes', async (t) => {
  const { engine, readers, controller, stop } = setup(3, 0, 1_000);
  t.teardown(stop);
  await controller.settle(5_000);
  controller.observeDeath('c1');
  engine.containers[0].running = false;
  await controller.settle(5_000);
  t.same(engine.removed, [], 'the stopped member is not removed within the grace period');
  t.equal(engine.started, 4, 'but it is replaced at once');
  engine.containers[0].running = true;
  controller.observeStart('c1');
  await controller.settle(5_000);
  t.same(engine.removed, ['c4'], 'once it runs again, the newest member is the surplus');
  t.same(readers.lists.get('c1'), ['10.0.0.1', '10.0.0.2', '10.0.0.3'], 'and the restarted member serves the list again');
});

t.test('a stopped member that stays stopped is removed after the grace period, by a pass the controller asks for itself', async (t) => {
  const clock = new Clock();
  const { engine, controller, stop } = setup(2, 0, 100, clock);
  t.teardown(stop);
  await controller.settle(5_000);
  engine.containers[0].running = false;
  await controller.settle(5_000);
  clock.advance(99);
  await controller.settle(5_000);
  t.same(engine.removed, [], 'kept within the grace period');
  const removal = engine.nextRemoval();
  clock.advance(11);
  t.equal(await removal, 'c1', 'removed once it ends, with no other trigger');
});

t.test('a large fleet starts its members a few at a time, and settles while they keep coming up', async (t) => {
  const { engine, members, controller, stop } = setup(60);
  t.teardown(stop);
  // Far shorter than the whole start-up: only a stall would end it.
  await controller.settle(80);
  t.equal(engine.started, 60);
  t.ok(engine.mostInFlight <= 16, `at most 16 starts at once (${engine.mostInFlight})`);
  t.equal(members.rotation.length, 60, 'all serve');
});

t.test('settle tells which members the change started and removed', async (t) => {
  const { controller, stop } = setup(2);
  t.teardown(stop);
  t.same(await controller.settle(5_000), { started: ['c1', 'c2'], removed: [] }, 'the first members');
  controller.scaleTo(4);
  t.same(await controller.settle(5_000), { started: ['c3', 'c4'], removed: [] }, 'an add: the members it started');
  controller.scaleTo(1);
  const removed = await controller.settle(5_000);
  t.same(removed.started, [], 'a remove starts nothing');
  t.same([...removed.removed].sort(), ['c2', 'c3', 'c4'], 'and names the members it removed');
  t.same(await controller.settle(5_000), { started: [], removed: [] }, 'a settled fleet: nothing');
});

t.test('a list begun before a removal ended does not remove that member again, nor report it twice', async (t) => {
  const { engine, members, controller, stop } = setup(2);
  t.teardown(stop);
  await controller.settle(5_000);
  engine.holdRemovals();
  controller.scaleTo(1);
  const change = controller.settle(5_000);
  while (engine.removing === 0) await new Promise((resolve) => setImmediate(resolve));
  // A pass now lists the engine while c2 is still there, and hears back after it is gone.
  engine.glitches.push('late');
  const lists = engine.lists;
  const again = controller.settle(5_000);
  while (engine.lists === lists) await new Promise((resolve) => setImmediate(resolve));
  engine.releaseRemovals();
  t.same(await change, { started: [], removed: ['c2'] }, 'the change names c2 once');
  await again;
  t.same(engine.removed, ['c2'], 'the engine was asked to remove it once');
  t.same(members.list().map((m) => m.id), ['c1'], 'and it did not come back as a member');
  t.same(await controller.settle(5_000), { started: [], removed: [] }, 'the next list settles with nothing to do');
});

t.test('a death and its replacement are one change: the dead member removed, its replacement started', async (t) => {
  const { engine, controller, stop } = setup(2);
  t.teardown(stop);
  await controller.settle(5_000);
  engine.containers[0].running = false;
  controller.observeDeath('c1');
  t.same(await controller.settle(5_000), { started: ['c3'], removed: ['c1'] });
});

t.test('a member whose list pushes keep failing while the engine answers is replaced after --replace-after', async (t) => {
  const clock = new Clock();
  const { engine, readers, lists, controller, stop } = setup(2, 1_000, 0, clock);
  t.teardown(stop);
  // c2 runs, but every exec into it is refused: the engine answers, the member cannot take a list.
  readers.quirks.set('c2', { refuse: true, execFails: true });
  const failedOnce = new Promise<string>((resolve) => lists.onFailed((id, reason) => resolve(`${id}: ${reason}`)));
  controller.request();
  t.equal(await failedOnce, 'c2: exec failed', 'its push failed on an answer');
  clock.advance(999);
  controller.request();
  await controller.settle(5_000).catch(() => undefined);
  t.same(engine.removed, [], 'kept while failing for less than --replace-after');
  const removal = engine.nextRemoval();
  clock.advance(2);
  controller.request();
  t.equal(await removal, 'c2', 'replaced once its pushes failed for --replace-after');
  await controller.settle(5_000);
  t.same(
    engine.containers.map((c) => c.id),
    ['c1', 'c3'],
    'its replacement serves beside the healthy member',
  );
});

t.test('pushes that time out (a slow engine) never make a member stale', async (t) => {
  const clock = new Clock();
  const { engine, readers, lists, controller, stop } = setup(2, 1_000, 0, clock);
  t.teardown(stop);
  // c2's reader never says ready and its one-shot exec times out: silence, not a refusal.
  readers.quirks.set('c2', { silent: true, execFails: true, execError: 'exec timed out after 10000 ms' });
  const failedOnce = new Promise<string>((resolve) => lists.onFailed((id) => resolve(id)));
  controller.request();
  t.equal(await failedOnce, 'c2', 'its pushes fail');
  await controller.settle(300).catch(() => undefined);
  clock.advance(60_000);
  controller.request();
  await controller.settle(300).catch(() => undefined);
  t.same(engine.removed, [], 'nothing was removed');
});
