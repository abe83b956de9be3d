// What a balancer on Swarm shows beyond its members: node names and the stack's balancers,
// read at most every so often, a failed read keeping the last.
import t from 'tap';
import { StackView } from '../../../src/fleet/swarm/stack-view.js';
import type { SwarmNode } from '../../../src/fleet/swarm/stack-status.js';
import type { SwarmTask } from '../../../src/fleet/swarm/tasks.js';

const node = (id: string, hostname: string): SwarmNode => ({ ID: id, Description: { Hostname: hostname } });
const task = (id: string, nodeId: string, state: string, desired = 'running'): SwarmTask => ({ ID: id, NodeID: nodeId, DesiredState: desired, Status: { State: state } });

function setup(answers: { nodes: SwarmNode[]; tasks: SwarmTask[] }[]) {
  let now = 0;
  let reads = 0;
  const source = {
    nodes: async () => {
      const answer = answers[Math.min(reads, answers.length - 1)];
      if (!answer.nodes.length) throw new Error('the manager did not answer');
      return answer.nodes;
    },
    tasks: async () => answers[Math.min(reads++, answers.length - 1)].tasks,
  };
  const view = new StackView(source, 'web_balancer', 10_000, () => now);
  return { view, advance: (ms: number) => (now += ms), reads: () => reads };
}

t.test('node names and balancers, read at most every 10 s, the last kept when a read fails', async (t) => {
  const first = { nodes: [node('node-b-0123456789', 'lab-n2'), node('node-a-0123456789', 'lab-n1')], tasks: [task('t1', 'node-b-0123456789', 'running'), task('t2', 'node-a-0123456789', 'running'), task('t3', 'node-a-0123456789', 'failed', 'shutdown'), task('t4', 'node-c-0123456789', 'starting')] };
  const { view, advance, reads } = setup([first, { nodes: [], tasks: [] }, { nodes: [node('node-c-0123456789', 'lab-n3')], tasks: [task('t5', 'node-c-0123456789', 'running', 'shutdown')] }]);
  t.equal(view.nodeName('node-a-0123456789'), 'node-a-01234', 'before any read: the id, short');
  t.same(view.balancers, []);
  await view.refresh();
  t.equal(view.nodeName('node-a-0123456789'), 'lab-n1', 'then its hostname');
  t.same(view.balancers, [
    { node: 'lab-n1', state: 'running', desired: 'running' },
    { node: 'lab-n2', state: 'running', desired: 'running' },
    { node: 'node-c-01234', state: 'starting', desired: 'running' },
  ], 'tasks Swarm wants running, by node; a dead one is history');
  await view.refresh();
  t.equal(reads(), 1, 'asked again within 10 s: no read');
  advance(10_000);
  await view.refresh();
  t.equal(reads(), 2, 'after 10 s: read again');
  t.equal(view.balancers.length, 3, 'a failed read keeps the last');
  advance(10_000);
  await view.refresh();
  t.equal(view.nodeName('node-c-0123456789'), 'lab-n3', 'a node met later is named');
  t.same(view.balancers, [{ node: 'lab-n3', state: 'running', desired: 'shutdown' }], 'one Swarm is stopping still shows');
});
