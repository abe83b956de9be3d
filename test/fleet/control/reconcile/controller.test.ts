// The control loop's safety rules, with an in-memory engine behind the controller's
// engine port (Docker's own behaviour is covered end to end in test/fleet/e2e).
import t from 'tap';
import { PassThrough } from 'node:stream';
import { Logger } from '../../../../src/log.js';
import { MemberSet } from '../../../../src/fleet/data/members.js';
import { Controller, type ControllerEngine } from '../../../../src/fleet/control/reconcile/controller.js';
import type { ObservedContainer } from '../../../../src/fleet/control/reconcile/plan.js';

class MemoryEngine implements ControllerEngine {
  containers: ObservedContainer[] = [];
  lists = new Map<string, string[]>();
  removed: string[] = [];
  started = 0;
  /** Answers for the next listMembers calls: an error, or an empty list, instead of the truth. */
  glitches: ('error' | 'empty')[] = [];
  private next = 0;

  async listMembers(): Promise<ObservedContainer[]> {
    const glitch = this.glitches.shift();
    if (glitch === 'error') throw new Error('engine hiccup');
    if (glitch === 'empty') return [];
    return this.containers.map((c) => ({ ...c }));
  }

  async startMember(): Promise<string> {
    this.started++;
    const n = ++this.next;
    const id = `c${n}`;
    this.containers.push({ id, name: `m${n}`, ip: `10.0.0.${n}`, running: true, created: n });
    return id;
  }

  async stopAndRemove(id: string): Promise<void> {
    this.removed.push(id);
    this.containers = this.containers.filter((c) => c.id !== id);
  }

  async pushList(id: string, ips: readonly string[]): Promise<void> {
    this.lists.set(id, [...ips]);
  }
}

function setup(desired: number, replaceAfterMs = 0) {
  const engine = new MemoryEngine();
  const members = new MemberSet({ rise: 2, fall: 3 });
  const log = new Logger({ level: 'ERROR', stream: new PassThrough() });
  const controller = new Controller(
    engine,
    members,
    {
      check: async (id) => {
        members.report(id, true);
        return true;
      },
      forget: () => {},
    },
    { fleet: 'f', image: 'i', limits: { memoryBytes: 64 * 1024 * 1024, cpus: 0.5 }, port: 8080, desired, drainTimeoutMs: 100, stopGraceSeconds: 1, replaceAfterMs, debounceMs: 1 },
    log,
  );
  return { engine, members, controller };
}

t.test('a fleet converges: members started, every list pushed, all in rotation', async (t) => {
  const { engine, members, controller } = setup(3);
  t.teardown(() => controller.stop());
  await controller.settle(5_000);
  t.equal(engine.started, 3);
  for (const c of engine.containers) t.same(engine.lists.get(c.id), ['10.0.0.1', '10.0.0.2', '10.0.0.3'], `${c.id} holds the whole list`);
  t.equal(members.rotation.length, 3, 'all three serve');
});

t.test('a failed observation takes nothing away', async (t) => {
  const { engine, members, controller } = setup(3);
  t.teardown(() => controller.stop());
  await controller.settle(5_000);
  engine.glitches.push('error', 'error');
  await controller.settle(5_000);
  t.same(engine.removed, [], 'nothing was removed');
  t.equal(engine.started, 3, 'nothing was started');
  t.equal(members.rotation.length, 3, 'the rotation is intact');
  t.equal(controller.lastError, undefined, 'the error cleared once the engine answered again');
});

t.test('one empty observation is not believed', async (t) => {
  const { engine, members, controller } = setup(3);
  t.teardown(() => controller.stop());
  await controller.settle(5_000);
  engine.glitches.push('empty');
  await controller.settle(5_000);
  t.same(engine.removed, [], 'nothing was removed');
  t.equal(engine.started, 3, 'no replacement was started for members that are still there');
  t.equal(members.rotation.length, 3);
});

t.test('a dead member is reaped and replaced, and the survivors get the new list', async (t) => {
  const { engine, members, controller } = setup(3);
  t.teardown(() => controller.stop());
  await controller.settle(5_000);
  engine.containers[0].running = false;
  await controller.settle(5_000);
  t.same(engine.removed, ['c1'], 'the dead container was removed');
  t.equal(engine.started, 4, 'one replacement');
  for (const c of engine.containers) t.same(engine.lists.get(c.id), ['10.0.0.2', '10.0.0.3', '10.0.0.4'], `${c.id} holds the new list`);
  t.equal(members.rotation.length, 3);
});

t.test('a die event counts even while the list still shows the container running', async (t) => {
  const { engine, controller } = setup(2);
  t.teardown(() => controller.stop());
  await controller.settle(5_000);
  controller.noteDied('c1');
  await controller.settle(5_000);
  t.same(engine.removed, ['c1'], 'the died container was reaped');
  t.equal(engine.containers.length, 2, 'and replaced');
});

t.test('lists already in place are not pushed again', async (t) => {
  const { engine, controller } = setup(2);
  t.teardown(() => controller.stop());
  await controller.settle(5_000);
  let pushes = 0;
  const push = engine.pushList.bind(engine);
  engine.pushList = async (id, ips) => {
    pushes++;
    return push(id, ips);
  };
  await controller.settle(5_000);
  await controller.settle(5_000);
  t.equal(pushes, 0, 'resyncs of a settled fleet push nothing');
});

t.test('scaling down removes the surplus only after the others hold the new list', async (t) => {
  const { engine, controller } = setup(3);
  t.teardown(() => controller.stop());
  await controller.settle(5_000);
  const order: string[] = [];
  const push = engine.pushList.bind(engine);
  engine.pushList = async (id, ips) => {
    order.push(`push ${id}`);
    return push(id, ips);
  };
  const remove = engine.stopAndRemove.bind(engine);
  engine.stopAndRemove = async (id) => {
    order.push(`remove ${id}`);
    return remove(id);
  };
  controller.desired = 2;
  await controller.settle(5_000);
  t.same(order, ['push c1', 'push c2', 'remove c3'], 'pushes first, then the stop of the newest member');
});

t.test('a member that stays unhealthy is replaced, and the replacement stays', async (t) => {
  const { engine, members, controller } = setup(2, 1);
  t.teardown(() => controller.stop());
  await controller.settle(5_000);
  members.reportUnreachable('c1');
  await new Promise((resolve) => setTimeout(resolve, 5));
  await controller.settle(5_000);
  t.same(engine.removed, ['c1'], 'only the failing member was removed');
  t.same(
    engine.containers.map((c) => c.id),
    ['c2', 'c3'],
    'its replacement runs beside the healthy one',
  );
});

t.test('after a death every member gets one push, with the replacement in it', async (t) => {
  const { engine, controller } = setup(3);
  t.teardown(() => controller.stop());
  await controller.settle(5_000);
  const seen: string[] = [];
  const push = engine.pushList.bind(engine);
  engine.pushList = async (id, ips) => {
    seen.push(`${id}: ${ips.join(' ')}`);
    return push(id, ips);
  };
  engine.containers[0].running = false;
  await controller.settle(5_000);
  t.same(seen.sort(), ['c2: 10.0.0.2 10.0.0.3 10.0.0.4', 'c3: 10.0.0.2 10.0.0.3 10.0.0.4', 'c4: 10.0.0.2 10.0.0.3 10.0.0.4']);
});
