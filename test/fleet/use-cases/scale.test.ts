// `fleet add` and `fleet remove` through the real controller, its lists and member set, with
// an in-memory engine behind the controller's engine port (Docker's side is end to end in
// test/fleet/e2e/changes.test.ts).
import t from 'tap';
import { PassThrough } from 'node:stream';
import { Logger } from '../../../src/log.js';
import { MAX_REPLICAS } from '../../../src/fleet/config.js';
import { MemberSet } from '../../../src/fleet/control/members.js';
import { Controller, type ControllerEngine } from '../../../src/fleet/control/reconcile/controller.js';
import { ListDistributor } from '../../../src/fleet/control/lists/distributor.js';
import type { ObservedContainer } from '../../../src/fleet/control/reconcile/plan.js';
import { changeOf, scale } from '../../../src/fleet/use-cases/scale.js';
import { fleetStatus } from '../../../src/fleet/use-cases/status.js';
import { FakeReaders } from '../control/lists/fake-reader.js';
import type { Tap } from '../../support.js';

class MemoryEngine implements ControllerEngine {
  containers: ObservedContainer[] = [];
  private next = 0;

  async listMembers(): Promise<ObservedContainer[]> {
    return this.containers.map((c) => ({ ...c }));
  }

  async startMember(): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const n = ++this.next;
    this.containers.push({ id: `c${n}`, name: `m${n}`, ip: `10.0.0.${n}`, running: true, created: n });
    return `c${n}`;
  }

  async stopAndRemove(id: string): Promise<void> {
    this.containers = this.containers.filter((c) => c.id !== id);
  }
}

async function fleetOf(t: Tap, desired: number) {
  const readers = new FakeReaders();
  const engine = new MemoryEngine();
  const members = new MemberSet({ rise: 1, fall: 1 });
  const log = new Logger({ level: 'ERROR', stream: new PassThrough() });
  const lists = new ListDistributor(readers, log, {});
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
    { fleet: 'f', image: 'i', limits: { memoryBytes: 1, cpus: 1 }, port: 8080, desired, drainTimeoutMs: 50, stopGraceSeconds: 0, replaceAfterMs: 0, coalesceMs: 1, exitGraceMs: 0 },
    log,
  );
  t.teardown(() => {
    controller.stop();
    lists.close();
  });
  await controller.settle(5_000);
  const workers = { status: () => [] };
  const status = () => fleetStatus({ fleet: { name: 'f', port: 1, host: 'h' }, pid: 1, members, controller, lists, workers });
  const sources = { fleet: 'f', controller, status, untilServing: async () => undefined, log };
  return { engine, controller, sources };
}

t.test('an add reports the members it started, a remove the ones it removed', async (t) => {
  const { sources } = await fleetOf(t, 2);
  const added = await scale(sources, 2);
  t.same(
    added.added.map((m) => [m.id, m.name, m.ip]),
    [
      ['c3', 'm3', '10.0.0.3'],
      ['c4', 'm4', '10.0.0.4'],
    ],
    'the two new members, as they serve',
  );
  t.same(added.removed, [], 'nothing removed');
  t.equal(added.status.desired, 4, 'the status after the change');
  const removed = await scale(sources, -1);
  t.same(removed.added, [], 'nothing added');
  t.equal(removed.removed.length, 1, 'one member removed');
  t.notOk(removed.status.members.some((m) => m.id === removed.removed[0].id), 'and it is gone from the status');
  t.equal(removed.removed[0].name, `m${removed.removed[0].id.slice(1)}`, 'described as it was before it went');
});

t.test("a death during an add is the replacement's, not the add's", async (t) => {
  const { engine, controller, sources } = await fleetOf(t, 3);
  const [victim] = engine.containers;
  const scaling = scale(sources, 1);
  // Docker says the member died while the add runs: the controller replaces it.
  engine.containers = engine.containers.map((c) => (c.id === victim.id ? { ...c, running: false } : c));
  controller.observeDeath(victim.id);
  const result = await scaling;
  t.equal(result.added.length, 1, 'one member added, as asked (a diff of the lists would say two)');
  t.same(result.removed, [], 'the dead member is not reported as removed');
  t.equal(result.status.members.length, 4, 'the fleet has the four members');
  t.notOk(result.status.members.some((m) => m.id === victim.id), 'without the dead one');
});

t.test('what only the running fleet knows is checked here', async (t) => {
  const { sources } = await fleetOf(t, 2);
  const cases: [number, RegExp][] = [
    [-2, /^cannot remove 2: fleet "f" has 2 members and keeps at least 1$/],
    [MAX_REPLICAS, new RegExp(`^cannot add ${MAX_REPLICAS}: fleet "f" has 2 members and allows at most ${MAX_REPLICAS}$`)],
  ];
  for (const [delta, message] of cases) {
    await t.rejects(scale(sources, delta), { code: 'FLEET_SCALE_REJECTED', message }, `a scale by ${delta}`);
  }
});

t.test("which of what the controller did while a scale settled is the scale's", async (t) => {
  const before = new Map([
    ['a', { state: 'up' }],
    ['b', { state: 'up' }],
    ['dead', { state: 'down' }],
  ]);
  const cases: { what: string; delta: number; started: string[]; removed: string[]; change: { started: string[]; removed: string[] } }[] = [
    { what: 'an add: the starts it asked for', delta: 2, started: ['n1', 'n2'], removed: [], change: { started: ['n1', 'n2'], removed: [] } },
    { what: 'never more than asked, the first ones', delta: 1, started: ['n1', 'n2'], removed: [], change: { started: ['n1'], removed: [] } },
    { what: "an add reports no removal (the dead member's is its replacement's)", delta: 1, started: ['r', 'n1'], removed: ['dead'], change: { started: ['r'], removed: [] } },
    { what: 'a member that was there before was not started by the add', delta: 1, started: ['a', 'n1'], removed: [], change: { started: ['n1'], removed: [] } },
    { what: 'a remove: the removals it asked for', delta: -1, started: [], removed: ['b'], change: { started: [], removed: ['b'] } },
    { what: 'a remove reports no start (a replacement)', delta: -1, started: ['r'], removed: ['b'], change: { started: [], removed: ['b'] } },
    { what: 'a member dead before the remove is reported after the others', delta: -1, started: ['r'], removed: ['dead', 'b'], change: { started: [], removed: ['b'] } },
    { what: 'but it is the removal when the remove took it', delta: -1, started: [], removed: ['dead'], change: { started: [], removed: ['dead'] } },
    { what: "a removal of a member unknown before is not the remove's", delta: -2, started: [], removed: ['x', 'a', 'b'], change: { started: [], removed: ['a', 'b'] } },
  ];
  for (const c of cases) t.same(changeOf({ started: c.started, removed: c.removed }, c.delta, before), c.change, c.what);
});
