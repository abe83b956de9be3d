// The use cases together: a down stops in order, once, answers before the channels close,
// and nothing else starts once it began. The engine and the worker processes are stand-ins
// (Docker's and the workers' side is end to end in test/fleet/e2e).
import t from 'tap';
import { PassThrough } from 'node:stream';
import { Logger } from '../../../src/log.js';
import { MemberSet } from '../../../src/fleet/control/members.js';
import { stopGrace } from '../../../src/fleet/use-cases/down.js';
import { UseCases } from '../../../src/fleet/use-cases/use-cases.js';
import { MEMBER_STOP_GRACE_SECONDS } from '../../../src/fleet/config.js';

function fleet(removal: () => Promise<{ removedContainers: number; removedNetwork: boolean }>) {
  const steps: string[] = [];
  const lines = new PassThrough();
  let logged = '';
  lines.on('data', (chunk: Buffer) => (logged += chunk.toString()));
  const log = new Logger({ level: 'INFO', stream: lines });
  const members = new MemberSet({ rise: 1, fall: 1 });
  members.upsert({ id: 'a', name: 'm-a', ip: '10.0.0.1', port: 8080 });
  const workers = {
    status: () => [],
    reload: async () => void steps.push('reload'),
    stop: async () => void steps.push(`workers stopped, ${members.get('a')?.state} member`),
  };
  const controller = {
    desired: 1,
    image: 'i',
    lastError: undefined,
    imageOf: () => 'i',
    setImage: () => undefined,
    inSync: () => true,
    replacement: () => ({ suspended: undefined, since: undefined, held: 0 }),
    scaleTo: () => undefined,
    settle: async () => ({ started: [], removed: [] }),
  };
  const useCases = new UseCases({
    status: { fleet: { name: 'f', port: 1, host: 'h' }, pid: 1, members, controller, lists: { sessionOpen: () => true }, workers },
    scale: { fleet: 'f', controller, untilServing: async () => undefined, log },
    rollout: { fleet: 'f', controller, members, checkImage: async () => undefined, untilServing: async () => undefined, log },
    down: { fleet: 'f', stopControl: () => void steps.push('control stopped'), members, workers, removeFleet: removal, log },
    workers,
    closeChannels: async () => void steps.push('channels closed'),
  });
  return { useCases, steps, logged: () => logged };
}

t.test('a down stops in order, once, and closes the channels after it answered', async (t) => {
  const { useCases, steps, logged } = fleet(async () => ({ removedContainers: 1, removedNetwork: true }));
  const exited = new Promise<void>((resolve) => useCases.onExit(resolve));
  const first = useCases.down('test');
  t.equal(useCases.down('again'), first, 'a second down is the first one');
  t.same(await first, { removedContainers: 1, removedNetwork: true }, 'what it removed');
  t.same(steps, ['control stopped', 'workers stopped, draining member'], 'control first, members fenced, then the workers');
  await exited;
  t.same(steps.slice(2), ['channels closed'], 'the channels close after the answer, then the exit hook');
  t.match(logged(), /fleet\.stopping fleet=f reason=test[\s\S]*fleet\.stopped fleet=f containers=1 network=true/, 'both ends logged');
  await t.rejects(useCases.scale(1), { code: 'FLEET_NOT_RUNNING', message: 'fleet "f" is shutting down' }, 'no scale once down began');
  await t.rejects(useCases.reload(), { code: 'FLEET_NOT_RUNNING' }, 'nor a reload');
});

t.test('a down that left something behind says so, and still closes', async (t) => {
  const { useCases, steps, logged } = fleet(async () => {
    throw new Error('1 of 1 members could not be removed');
  });
  const exited = new Promise<void>((resolve) => useCases.onExit(resolve));
  await t.rejects(useCases.down('test'), /could not be removed/, 'the caller hears it');
  await exited;
  t.equal(steps.at(-1), 'channels closed', 'the channels still close');
  t.match(logged(), /ERROR fleet\.cleanup_failed/, 'and it is logged');
});

t.test('status and reload before any down', async (t) => {
  const { useCases, steps } = fleet(async () => ({ removedContainers: 0, removedNetwork: false }));
  t.match(useCases.status(), { name: 'f', desired: 1, members: [{ id: 'a', name: 'm-a', inSync: true, session: 'open' }], replacement: { suspended: null, since: null, held: 0 } }, 'the status');
  t.same(await useCases.reload(), { workers: [] }, 'a reload answers the workers');
  t.same(steps, ['reload']);
});

t.test('a member that fails its checks gets no grace to stop', async (t) => {
  const cases: [string, { health: { up: boolean | undefined } } | undefined, number][] = [
    ['healthy', { health: { up: true } }, MEMBER_STOP_GRACE_SECONDS],
    ['not checked yet', { health: { up: undefined } }, MEMBER_STOP_GRACE_SECONDS],
    ['unknown to the control plane', undefined, MEMBER_STOP_GRACE_SECONDS],
    ['failing its checks', { health: { up: false } }, 0],
  ];
  for (const [what, member, want] of cases) t.equal(stopGrace(member), want, what);
});
