// fleet status --stack: the manager's answers read into the stack by node, and its table.
import t from 'tap';
import { type StackInput, type SwarmNode, stackStatus } from '../../../src/fleet/swarm/stack-status.js';
import { stackTable } from '../../../src/fleet/commands/format.js';

const node = (id: string, hostname: string, extra: { leader?: boolean; state?: string; edge?: boolean } = {}): SwarmNode => ({
  ID: id,
  Description: { Hostname: hostname },
  Spec: { Role: 'manager', Availability: 'active', Labels: extra.edge === false ? {} : { 'fleet.edge': 'true' } },
  Status: { State: extra.state ?? 'ready', Addr: '10.0.0.1' },
  ManagerStatus: { Leader: extra.leader ?? false, Reachability: 'reachable' },
});

const task = (id: string, nodeId: string, state: string, desired = 'running', slot?: number, ip?: string, err?: string) => ({
  ID: id,
  NodeID: nodeId,
  ...(slot !== undefined && { Slot: slot }),
  DesiredState: desired,
  Spec: { ContainerSpec: { Image: 'fleet-nginx:v2@sha256:abc' } },
  Status: { State: state, ContainerStatus: { ContainerID: `${id}0123456789abcdef` }, ...(err && { Err: err }) },
  NetworksAttachments: ip ? [{ Network: { Spec: { Name: 'web_ingress' } }, Addresses: ['10.0.9.9/24'] }, { Network: { Spec: { Name: 'web_fleet' } }, Addresses: [`${ip}/24`] }] : [],
});

const base: StackInput = {
  nodes: [node('B', 'lab-n2'), node('A', 'lab-n1', { leader: true })],
  service: { Spec: { Mode: { Replicated: { Replicas: 3 } }, TaskTemplate: { ContainerSpec: { Image: 'fleet-nginx:v2@sha256:abc' } } }, UpdateStatus: { State: 'completed' } },
  members: [task('m2', 'B', 'running', 'running', 2, '10.1.0.3'), task('m1', 'A', 'running', 'running', 1, '10.1.0.2'), task('m3', 'A', 'running', 'running', 3, '10.1.0.4')],
  agents: [task('a1', 'A', 'running', 'running', undefined, '10.1.0.8'), task('a2', 'B', 'running', 'running', undefined, '10.1.0.9')],
  balancers: [task('b1', 'A', 'running')],
};

const cases: { name: string; input: StackInput; check: (s: ReturnType<typeof stackStatus>) => void }[] = [
  {
    name: 'members, agents and balancers land on their nodes, nodes by hostname, members by slot',
    input: base,
    check: (s) => {
      t.same(s.nodes.map((n) => n.hostname), ['lab-n1', 'lab-n2']);
      t.same(s.nodes[0].members.map((m) => `${m.name} ${m.ip} ${m.container}`), ['web_members.1 10.1.0.2 m10123456789', 'web_members.3 10.1.0.4 m30123456789']);
      t.same(s.nodes[1].members.map((m) => m.name), ['web_members.2']);
      t.same(s.nodes.map((n) => n.agents.length), [1, 1]);
      t.same(s.nodes.map((n) => n.balancers.map((b) => b.name)), [['web_balancer'], []]);
      t.equal(s.nodes[0].leader, true);
      t.equal(s.nodes[1].edge, true);
      t.match(s, { stack: 'web', image: 'fleet-nginx:v2', desired: 3, running: 3, update: 'completed' });
      t.equal(s.nodes[0].members[0].image, 'fleet-nginx:v2', 'the digest is left out');
    },
  },
  {
    name: 'a dead task is history and not shown; one Swarm stops is shown and not counted as running; a starting one is shown',
    input: {
      ...base,
      members: [
        task('m1', 'A', 'running', 'shutdown', 1, '10.1.0.2'),
        task('m4', 'A', 'failed', 'shutdown', 1, undefined, 'task: non-zero exit (1)'),
        task('m5', 'A', 'starting', 'running', 1, '10.1.0.6'),
      ],
    },
    check: (s) => {
      t.same(s.nodes[0].members.map((m) => `${m.container.slice(0, 2)} ${m.state}->${m.desired}`), ['m1 running->shutdown', 'm5 starting->running']);
      t.equal(s.running, 0);
    },
  },
  {
    name: 'a lost node: down, its tasks still as last reported; a task on an unknown node is left out',
    input: { ...base, nodes: [node('A', 'lab-n1', { leader: true }), node('B', 'lab-n2', { state: 'down', edge: false })], members: [task('m2', 'B', 'running', 'running', 2, '10.1.0.3'), task('mx', 'Z', 'running', 'running', 9, '10.1.0.7')], agents: [] },
    check: (s) => {
      t.match(s.nodes[1], { state: 'down', edge: false, members: [{ name: 'web_members.2' }] });
      t.equal(s.nodes[0].members.length, 0);
      t.equal(s.running, 1);
    },
  },
  {
    name: "with a balancer's account: the list owed, and each member's generation held (null when its agent reported none)",
    input: { ...base, balancer: { list: { generation: 5120, ips: ['10.1.0.2', '10.1.0.3', '10.1.0.4'] }, members: [{ ip: '10.1.0.2', generation: 5120 }, { ip: '10.1.0.4', generation: 4097 }, { ip: '10.1.0.3', generation: null }] } },
    check: (s) => {
      t.same(s.list, { generation: 5120, members: 3 });
      t.same(s.nodes.flatMap((n) => n.members.map((m) => `${m.ip} ${m.list}`)), ['10.1.0.2 5120', '10.1.0.4 4097', '10.1.0.3 null']);
    },
  },
  {
    name: "without one: no list, and no member's generation",
    input: base,
    check: (s) => {
      t.equal(s.list, undefined);
      t.ok(s.nodes.every((n) => n.members.every((m) => !('list' in m))));
    },
  },
  {
    name: 'no update yet: null',
    input: { ...base, service: { Spec: { Mode: { Replicated: { Replicas: 6 } } } } },
    check: (s) => t.match(s, { update: null, desired: 6, image: '' }),
  },
];

for (const c of cases) t.test(c.name, async () => c.check(stackStatus('web', c.input)));

t.test('the table: a head line, a row per node with what it is, its tasks under it, and a missing agent said', async (t) => {
  const table = stackTable(stackStatus('web', { ...base, agents: [base.agents[0]] }));
  const lines = table.trimEnd().split('\n');
  t.equal(lines[0], 'stack "web": members 3 of 3 running  image fleet-nginx:v2  update completed');
  t.match(lines[1], /^NODE\s+TASK\s+STATE\s+CONTAINER\s+IP\s+LIST\s+IMAGE$/);
  t.match(lines[2], /^lab-n1\s+\(manager, leader, ready, active, edge\)$/);
  t.match(lines[3], /^\s+web_members\.1\s+running\s+m10123456789\s+10\.1\.0\.2\s+fleet-nginx:v2$/);
  t.match(table, /lab-n2 .*\n\s+web_members\.2 .*\n\s+no agent\s*\n/);
  const stopping = stackTable(stackStatus('web', { ...base, members: [task('m1', 'A', 'running', 'shutdown', 1, '10.1.0.2')] }));
  t.match(stopping, /web_members\.1\s+running \(to shutdown\)/);
});

t.test("the table with a balancer's account: the list on the head line, each member's generation, stale ones said", async (t) => {
  const balancer = { list: { generation: 5120, ips: ['10.1.0.2', '10.1.0.3', '10.1.0.4'] }, members: [{ ip: '10.1.0.2', generation: 5120 }, { ip: '10.1.0.4', generation: 4097 }] };
  const table = stackTable(stackStatus('web', { ...base, balancer }));
  t.match(table.split('\n')[0], / {2}list 5120 of 3$/);
  t.match(table, /web_members\.1\s+running\s+m10123456789\s+10\.1\.0\.2\s+5120\s+fleet-nginx:v2\n/);
  t.match(table, /web_members\.3\s+running\s+m30123456789\s+10\.1\.0\.4\s+4097 \(stale\)\s+fleet-nginx:v2\n/);
  t.match(table, /web_members\.2\s+running\s+m20123456789\s+10\.1\.0\.3\s+none\s+fleet-nginx:v2\n/);
});
