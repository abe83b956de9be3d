import t from 'tap';
import { type SwarmTask, addressOf, observeTasks } from '../../../src/fleet/swarm/tasks.js';

const NET = 'web_fleet';

/** A task as GET /tasks returns it, with what a test changes. */
function task(id: string, over: { index?: number; slot?: number; desired?: string; state?: string; container?: string | null; addresses?: Record<string, string[]> } = {}): SwarmTask {
  const addresses = over.addresses ?? { [NET]: [`10.0.1.${Number(id.replace(/\D/g, '')) || 9}/24`], ingress: ['10.0.0.5/24'] };
  return {
    ID: `task-${id}`,
    Version: { Index: over.index ?? 10 },
    Slot: over.slot ?? 1,
    NodeID: 'node-a',
    DesiredState: over.desired ?? 'running',
    Status: { State: over.state ?? 'running', ContainerStatus: over.container === null ? {} : { ContainerID: over.container ?? `c${id}` } },
    NetworksAttachments: Object.entries(addresses).map(([name, a]) => ({ Network: { ID: `id-${name}`, Spec: { Name: name } }, Addresses: a })),
  };
}

t.test('which tasks are members', async (t) => {
  const cases: [string, SwarmTask[], string[]][] = [
    ['a running task Swarm wants running is a member, at its overlay address', [task('1')], ['c1 10.0.1.1 web_members.1']],
    ['a task starting (its health check not passed yet) is: it serves a list once healthy', [task('1', { state: 'starting' })], ['c1 10.0.1.1 web_members.1']],
    ['a task not started yet (preparing, ready) is not', [task('1', { state: 'preparing' }), task('2', { state: 'ready' }), task('3', { state: 'assigned', container: null })], []],
    ['a task Swarm is shutting down is not, though it still runs', [task('1', { desired: 'shutdown' })], []],
    ['a failed, shut down or rejected task is not', [task('1', { state: 'failed', desired: 'shutdown' }), task('2', { state: 'shutdown', desired: 'shutdown' }), task('3', { state: 'rejected' })], []],
    ['a task with no container yet is not', [task('1', { container: null })], []],
    ['a task with no address on the stack\'s overlay is not', [task('1', { addresses: { ingress: ['10.0.0.5/24'] } })], []],
    ['an IPv6 address on the overlay is skipped for the IPv4 one', [task('1', { addresses: { [NET]: ['fd00::5/64', '10.0.1.7/24'] } })], ['c1 10.0.1.7 web_members.1']],
    ['members come sorted by container id, whatever the order of the answer', [task('3', { slot: 3 }), task('1', { slot: 1 }), task('2', { slot: 2 })], ['c1 10.0.1.1 web_members.1', 'c2 10.0.1.2 web_members.2', 'c3 10.0.1.3 web_members.3']],
  ];
  for (const [name, tasks, expected] of cases) {
    const seen = observeTasks(tasks, 'web_members', NET).members.map((m) => `${m.id} ${m.ip} ${m.name}`);
    t.same(seen, expected, name);
  }
});

t.test('the index is the highest of every task listed, whatever its state', async (t) => {
  const cases: [string, SwarmTask[], number][] = [
    ['no task: 0', [], 0],
    ['the running tasks\' highest', [task('1', { index: 12 }), task('2', { index: 40 })], 40],
    ['a task that failed since counts: its failure bumped the index', [task('1', { index: 12 }), task('2', { index: 55, state: 'failed', desired: 'shutdown' })], 55],
    ['a task with no version counts as 0', [{ ID: 'x' }, task('1', { index: 3 })], 3],
  ];
  for (const [name, tasks, expected] of cases) t.equal(observeTasks(tasks, 'web_members', NET).index, expected, name);
});

t.test('addresses', async (t) => {
  const cases: [string, string | undefined][] = [
    ['10.0.1.5/24', '10.0.1.5'],
    ['10.0.1.5', '10.0.1.5'],
    ['fd00::1/64', undefined],
    ['', undefined],
  ];
  for (const [cidr, expected] of cases) t.equal(addressOf(cidr), expected, `${JSON.stringify(cidr)} is ${expected ?? 'no IPv4 address'}`);
});
