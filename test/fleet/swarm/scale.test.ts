// fleet add|remove --stack: the replicas asked, the balancer found on the manager's node, and
// when a change has settled, from tables of tasks and balancer answers.
import t from 'tap';
import { DEFAULT_ADMIN_PORT, MAX_REPLICAS } from '../../../src/fleet/config.js';
import { type BalancerTask, type BalancerView, adminPort, localBalancer, settling, targetReplicas } from '../../../src/fleet/swarm/scale.js';

t.test('targetReplicas: the sum, at least 1 and at most the maximum, refused with one line naming the stack', async (t) => {
  const rows: [number, number, number | RegExp][] = [
    [6, 3, 9],
    [6, -5, 1],
    [6, -6, /^cannot remove 6: stack "web" has 6 members and keeps at least 1$/],
    [1, -1, /^cannot remove 1: stack "web" has 1 members and keeps at least 1$/],
    [MAX_REPLICAS - 1, 1, MAX_REPLICAS],
    [MAX_REPLICAS, 1, new RegExp(`^cannot add 1: stack "web" has ${MAX_REPLICAS} members and allows at most ${MAX_REPLICAS}$`)],
  ];
  for (const [from, delta, want] of rows) {
    if (typeof want === 'number') t.equal(targetReplicas('web', from, delta), want, `${from} ${delta > 0 ? '+' : ''}${delta}`);
    else t.throws(() => targetReplicas('web', from, delta), { code: 'FLEET_SCALE_REJECTED', message: want }, `${from} ${delta}`);
  }
});

t.test('adminPort: --admin-port=N or --admin-port N, the default otherwise', async (t) => {
  const rows: [string[], number][] = [
    [['up', '--stack=web', '--admin-host=0.0.0.0'], DEFAULT_ADMIN_PORT],
    [['up', '--admin-port=9300'], 9300],
    [['up', '--admin-port', '9301'], 9301],
    [['up', '--admin-port'], DEFAULT_ADMIN_PORT],
    [['up', '--admin-port=x'], DEFAULT_ADMIN_PORT],
  ];
  for (const [args, want] of rows) t.equal(adminPort(args), want, args.join(' '));
});

const balancerTask = (node: string, state: string, desired = 'running', args: string[] = ['up', '--stack=web']): BalancerTask => ({
  ID: `b-${node}-${state}`,
  NodeID: node,
  DesiredState: desired,
  Spec: { ContainerSpec: { Args: args } },
  Status: { State: state, ContainerStatus: { ContainerID: `c-${node}-${state}` } },
});

t.test("localBalancer: the running balancer on the manager's node, none elsewhere or stopping", async (t) => {
  t.same(localBalancer([balancerTask('n2', 'running'), balancerTask('n1', 'running', 'running', ['up', '--admin-port=9400'])], 'n1'), { container: 'c-n1-running', port: 9400 });
  t.equal(localBalancer([balancerTask('n2', 'running')], 'n1'), undefined, 'on another node');
  t.equal(localBalancer([balancerTask('n1', 'running', 'shutdown'), balancerTask('n1', 'starting')], 'n1'), undefined, 'being stopped, or not running yet');
  t.equal(localBalancer([], 'n1'), undefined, 'no balancer at all');
});

const member = (id: string, ip: string | undefined, state = 'running', desired = 'running', index = 10) => ({
  ID: `t-${id}`,
  Version: { Index: index },
  Slot: Number(id.replace(/\D/g, '')) || 1,
  NodeID: 'n1',
  DesiredState: desired,
  Status: { State: state, ContainerStatus: { ContainerID: `c${id}` } },
  NetworksAttachments: ip ? [{ Network: { Spec: { Name: 'web_fleet' } }, Addresses: [`${ip}/24`] }] : [],
});

const three = [member('1', '10.0.1.3'), member('2', '10.0.1.2'), member('3', '10.0.1.10')];
const view = (generation: number, ips: string[], held: Record<string, number | null>): BalancerView => ({
  list: { generation, ips },
  members: Object.entries(held).map(([ip, g]) => ({ ip, generation: g })),
});
const allHold = view(9, ['10.0.1.2', '10.0.1.3', '10.0.1.10'], { '10.0.1.2': 9, '10.0.1.3': 9, '10.0.1.10': 10 });

const cases: { name: string; replicas: number; tasks: ReturnType<typeof member>[]; balancer?: BalancerView; settled: boolean; state: string }[] = [
  { name: 'settled: Swarm runs the 3, the list names them, each holds it (or newer)', replicas: 3, tasks: three, balancer: allHold, settled: true, state: 'every one of the 3 members serves list 9' },
  { name: 'Swarm runs fewer than asked', replicas: 4, tasks: three, balancer: allHold, settled: false, state: 'Swarm runs 3 of 4 members' },
  { name: 'one is starting', replicas: 4, tasks: [...three, member('4', '10.0.1.4', 'starting')], balancer: allHold, settled: false, state: 'Swarm runs 3 of 4 members (1 starting)' },
  { name: 'one is being stopped (a scale-down): still running, not a member', replicas: 2, tasks: [three[0], three[1], member('3', '10.0.1.10', 'running', 'shutdown')], balancer: allHold, settled: false, state: 'Swarm runs 2 of 2 members (1 stopping)' },
  { name: 'dead tasks are history: they hold nothing up', replicas: 3, tasks: [...three, member('9', '10.0.1.9', 'failed', 'shutdown')], balancer: allHold, settled: true, state: 'every one of the 3 members serves list 9' },
  { name: 'a running task without an overlay address yet is no member', replicas: 3, tasks: [three[0], three[1], member('3', undefined)], balancer: allHold, settled: false, state: 'Swarm runs 2 of 3 members' },
  { name: 'no balancer answer', replicas: 3, tasks: three, balancer: undefined, settled: false, state: 'the balancer has no list yet' },
  { name: 'a balancer with no list yet', replicas: 3, tasks: three, balancer: { members: [] }, settled: false, state: 'the balancer has no list yet' },
  { name: "the balancer's list is behind Swarm", replicas: 3, tasks: three, balancer: view(8, ['10.0.1.2', '10.0.1.3'], { '10.0.1.2': 8, '10.0.1.3': 8 }), settled: false, state: 'the list names 2 members, Swarm runs 3' },
  { name: 'the same count, another member', replicas: 3, tasks: three, balancer: view(8, ['10.0.1.2', '10.0.1.3', '10.0.1.99'], {}), settled: false, state: 'the list names 3 members, Swarm runs 3' },
  { name: 'one holds an older list, one none', replicas: 3, tasks: three, balancer: view(9, ['10.0.1.2', '10.0.1.3', '10.0.1.10'], { '10.0.1.2': 9, '10.0.1.3': 8, '10.0.1.10': null }), settled: false, state: '1 of 3 members hold list 9' },
];

for (const c of cases) {
  t.test(`settling: ${c.name}`, async (t) => {
    const s = settling(c.replicas, c.tasks, 'web_members', 'web_fleet', c.balancer);
    t.equal(s.settled, c.settled);
    t.equal(s.state, c.state);
  });
}

t.test('settling reports the running members by address, in numeric order', async (t) => {
  t.same(settling(3, three, 'web_members', 'web_fleet', allHold).ips, ['10.0.1.2', '10.0.1.3', '10.0.1.10']);
});
