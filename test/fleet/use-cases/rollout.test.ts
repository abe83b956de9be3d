// `fleet rollout` through the real controller, its lists and member set, with an in-memory
// engine behind the controller's engine port that remembers each member's image, and health
// checks that fail on the image "bad" (Docker's side is end to end in
// test/fleet/e2e/rollout.test.ts).
import t from 'tap';
import { PassThrough } from 'node:stream';
import { Logger } from '../../../src/log.js';
import { MemberSet } from '../../../src/fleet/control/members.js';
import { Controller, type ControllerEngine } from '../../../src/fleet/control/reconcile/controller.js';
import { ListDistributor } from '../../../src/fleet/control/lists/distributor.js';
import type { ObservedContainer } from '../../../src/fleet/control/reconcile/plan.js';
import { FleetError } from '../../../src/fleet/errors.js';
import { UseCases } from '../../../src/fleet/use-cases/use-cases.js';
import { FakeReaders } from '../control/lists/fake-reader.js';
import type { Tap } from '../../support.js';

class MemoryEngine implements ControllerEngine {
  containers: ObservedContainer[] = [];
  private next = 0;

  async listMembers(): Promise<ObservedContainer[]> {
    return this.containers.map((c) => ({ ...c }));
  }

  async startMember(spec: { image: string }): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const n = ++this.next;
    this.containers.push({ id: `c${n}`, name: `m${n}`, ip: `10.0.0.${n}`, running: true, created: n, image: spec.image });
    return `c${n}`;
  }

  async stopAndRemove(id: string): Promise<void> {
    this.containers = this.containers.filter((c) => c.id !== id);
  }

  images(): string[] {
    return this.containers.map((c) => c.image!);
  }
}

async function fleetOf(t: Tap, desired: number) {
  const readers = new FakeReaders();
  const engine = new MemoryEngine();
  const members = new MemberSet({ rise: 1, fall: 1 });
  const lines = new PassThrough();
  let logged = '';
  lines.on('data', (chunk: Buffer) => (logged += chunk.toString()));
  const log = new Logger({ level: 'INFO', stream: lines });
  const lists = new ListDistributor(readers, log, {});
  const controller = new Controller(
    engine,
    members,
    lists,
    {
      // The image "bad" answers its health checks with a 500; on "flaky", every member but the first does.
      check: async (id) => {
        const flaky = engine.containers.filter((c) => c.image === 'flaky');
        const image = engine.containers.find((c) => c.id === id)?.image;
        const ok = image !== 'bad' && (image !== 'flaky' || flaky[0].id === id);
        members.report(id, ok);
        return ok;
      },
    },
    { fleet: 'f', image: 'old', limits: { memoryBytes: 1, cpus: 1 }, port: 8080, desired, drainTimeoutMs: 50, stopGraceSeconds: 0, replaceAfterMs: 0, coalesceMs: 1, exitGraceMs: 0 },
    log,
  );
  t.teardown(() => {
    controller.stop();
    lists.close();
  });
  await controller.settle(5_000);
  // Start first: once the fleet serves, the rotation never holds fewer than the desired count.
  let fewest = Infinity;
  members.onChange(() => (fewest = Math.min(fewest, members.rotation.length)));
  const workers = { status: () => [], reload: async () => undefined, stop: async () => undefined };
  const untilServing = async () => void (await members.rotationReaches(desired, 1_000));
  const useCases = new UseCases({
    status: { fleet: { name: 'f', port: 1, host: 'h' }, pid: 1, members, controller, lists, workers },
    scale: { fleet: 'f', controller, untilServing, log },
    rollout: {
      fleet: 'f',
      controller,
      members,
      checkImage: async (image) => {
        if (image === 'missing') throw new FleetError('FLEET_IMAGE_MISSING', 'image missing not found on the engine');
      },
      untilServing,
      log,
    },
    down: { fleet: 'f', stopControl: () => undefined, members, workers, removeFleet: async () => ({ removedContainers: 0, removedNetwork: false }), log },
    workers,
    closeChannels: async () => undefined,
  });
  return { engine, controller, members, lists, useCases, fewest: () => fewest, logged: () => logged };
}

t.test('a rollout replaces every member, one at a time, start first, and keeps the new image', async (t) => {
  const { engine, controller, members, lists, useCases, fewest, logged } = await fleetOf(t, 3);
  const before = engine.containers.map((c) => c.id);
  const result = await useCases.rollout({ image: 'new', readyTimeoutMs: 5_000 });
  t.same(engine.images(), ['new', 'new', 'new'], 'every member runs the new image');
  t.same(result.removed.map((m) => m.id).sort(), [...before].sort(), 'it reports the old members removed');
  t.same(result.started.map((m) => m.id).sort(), engine.containers.map((c) => c.id).sort(), 'and the new ones started');
  t.equal(result.previous, 'old', 'the image it replaced');
  t.equal(result.status.image, 'new', 'the status shows the new image');
  t.same(result.status.members.map((m) => m.image), ['new', 'new', 'new'], 'and each member on it');
  t.ok(fewest() >= 3, `the rotation never fell under 3 members (fewest ${fewest()})`);
  t.equal(members.rotation.length, 3, 'three members serve');
  const key = lists.current!.key;
  t.ok(members.list().every((m) => lists.holds(m.id) === key), 'every member holds the current list');
  t.same(lists.current!.ips, [...engine.containers.map((c) => c.ip!)].sort(), 'which lists exactly the members');
  t.equal(controller.image, 'new', 'the controller keeps the new image');
  t.match(logged(), /rollout\.begin fleet=f from=old to=new[\s\S]*rollout\.done fleet=f image=new started=3 removed=3/, 'begin and end logged');

  engine.containers.splice(0, 1);
  controller.request();
  await controller.settle(5_000);
  t.same(engine.images(), ['new', 'new', 'new'], 'a member replaced later starts from the new image');
});

t.test('a new member that fails its checks rolls the fleet back to the old image', async (t) => {
  const { engine, controller, members, useCases, fewest } = await fleetOf(t, 3);
  const before = engine.containers.map((c) => c.id);
  await t.rejects(
    useCases.rollout({ image: 'bad', readyTimeoutMs: 5_000 }),
    { code: 'FLEET_ROLLOUT_FAILED', message: /^rollout of fleet "f" to bad rolled back: member m4 \(10\.0\.0\.4\) on bad failed its health checks; 3 members run old again$/ },
    'it fails with one line naming the member',
  );
  t.same(engine.images(), ['old', 'old', 'old'], 'the members run the old image');
  t.same(
    engine.containers.map((c) => c.id),
    before,
    'the old members were never touched: the failing one was the first step',
  );
  t.equal(controller.image, 'old', 'the controller keeps the old image');
  t.equal(members.rotation.length, 3, 'three members serve');
  t.ok(fewest() >= 3, `the rotation never fell under 3 members (fewest ${fewest()})`);
});

t.test('a rollback after a member moved brings the old image back to all of them, start first', async (t) => {
  const { engine, controller, useCases, fewest } = await fleetOf(t, 3);
  const started: string[] = [];
  const start = engine.startMember.bind(engine);
  engine.startMember = (spec) => (started.push(spec.image), start(spec));
  await t.rejects(useCases.rollout({ image: 'flaky', readyTimeoutMs: 5_000 }), { code: 'FLEET_ROLLOUT_FAILED', message: /: member m5 \(10\.0\.0\.5\) on flaky failed its health checks; 3 members run old again$/ });
  t.same(started, ['flaky', 'flaky', 'old'], 'one member moved, the second failed, and one old member came back in its place');
  t.same(engine.images(), ['old', 'old', 'old'], 'the members run the old image');
  t.equal(controller.image, 'old', 'and the controller keeps it');
  t.ok(fewest() >= 3, `the rotation never fell under 3 members (fewest ${fewest()})`);
});

t.test('one rollout at a time, and no scale beside it', async (t) => {
  const { engine, useCases } = await fleetOf(t, 2);
  const first = useCases.rollout({ image: 'new', readyTimeoutMs: 5_000 });
  await t.rejects(useCases.rollout({ image: 'other', readyTimeoutMs: 5_000 }), { code: 'FLEET_ROLLOUT_BUSY', message: 'fleet "f" is already rolling out new; wait for it to end' });
  await t.rejects(useCases.scale(1), { code: 'FLEET_ROLLOUT_BUSY', message: 'cannot add 1: fleet "f" is rolling out new; try again once it ends' });
  await t.rejects(useCases.scale(-1), { code: 'FLEET_ROLLOUT_BUSY', message: 'cannot remove 1: fleet "f" is rolling out new; try again once it ends' });
  await first;
  t.same(engine.images(), ['new', 'new'], 'the first rollout went through');
  const scaling = useCases.scale(1);
  await t.rejects(useCases.rollout({ image: 'old', readyTimeoutMs: 5_000 }), { code: 'FLEET_ROLLOUT_BUSY', message: 'fleet "f" is adding or removing members; try again once that ends' });
  await scaling;
  t.same(engine.images(), ['new', 'new', 'new'], 'an add after a rollout starts from the new image');
});

t.test('an image the engine lacks is refused before anything moves', async (t) => {
  const { engine, controller, useCases } = await fleetOf(t, 2);
  const before = engine.containers.map((c) => c.id);
  await t.rejects(useCases.rollout({ image: 'missing', readyTimeoutMs: 5_000 }), { code: 'FLEET_IMAGE_MISSING' });
  t.same(engine.containers.map((c) => c.id), before, 'no member moved');
  t.equal(controller.image, 'old', 'the image is unchanged');
});

t.test('a rollout to the image the fleet runs is done at once', async (t) => {
  const { engine, useCases } = await fleetOf(t, 2);
  const before = engine.containers.map((c) => c.id);
  const result = await useCases.rollout({ image: 'old', readyTimeoutMs: 5_000 });
  t.same(result.started, [], 'nothing started');
  t.same(engine.containers.map((c) => c.id), before, 'nothing moved');
});
