// `fleet add|remove --stack NAME`: scales the members' service on the manager DOCKER_HOST
// names, then waits until the change has settled (swarm/scale.ts): Swarm runs exactly the
// replicas asked, and every member on every node serves the list of exactly those, as the
// stack's balancer on that manager's node tells it. Prints the members added or removed.
import { setTimeout as sleep } from 'node:timers/promises';
import { MANAGER_TIMEOUT_MS } from '../config.js';
import { FleetError, messageOf } from '../errors.js';
import { loadDaemon } from '../load-daemon.js';
import { type BalancerView, type Settling, localBalancer, settling, targetReplicas } from '../swarm/scale.js';
import { observeTasks, type SwarmMember } from '../swarm/tasks.js';
import type { FleetContext } from './context.js';

/** How long a change may take to settle: Swarm starts a task, its health check passes, its agent pushes the list. */
export const STACK_SETTLE_MS = 300_000;
const POLL_MS = 500;

export async function scaleStack(stack: string, delta: number, context: FleetContext): Promise<number> {
  const { StackControl } = await loadDaemon();
  const manager = new StackControl(MANAGER_TIMEOUT_MS);
  const service = `${stack}_members`;
  const network = `${stack}_fleet`;
  await manager.requireService(service);
  const node = await manager.localNode();
  // Refused before anything changes: without a balancer here, nothing could say when the lists are served.
  if (!localBalancer(await manager.tasks(`${stack}_balancer`), node)) {
    throw new FleetError('FLEET_NO_BALANCER', `no balancer of stack "${stack}" runs on the node ${manager.address} names: point DOCKER_HOST at an edge manager (node label fleet.edge=true) whose balancer runs`);
  }
  const before = observeTasks(await manager.tasks(service), service, network).members;
  const replicas = await manager.scale(service, (from) => targetReplicas(stack, from, delta));
  const deadline = Date.now() + (context.controlTimeoutMs ?? STACK_SETTLE_MS);
  let state: Settling | undefined;
  let problem = '';
  for (;;) {
    const tasks = await manager.tasks(service);
    const balancer = localBalancer(await manager.tasks(`${stack}_balancer`), node);
    let view: BalancerView | undefined;
    problem = '';
    if (balancer) view = await manager.balancerStatus(balancer.container, balancer.port).catch((error: unknown) => ((problem = messageOf(error)), undefined));
    else problem = 'the balancer on this node is not running';
    state = settling(replicas, tasks, service, network, view);
    if (state.settled) {
      report(context, stack, before, observeTasks(tasks, service, network).members, state);
      return 0;
    }
    if (Date.now() >= deadline) break;
    await sleep(POLL_MS);
  }
  const seconds = Math.round((context.controlTimeoutMs ?? STACK_SETTLE_MS) / 1000);
  throw new FleetError('FLEET_CONVERGE_TIMEOUT', `stack "${stack}" did not settle on ${replicas} members within ${seconds} s: ${state.state}${problem ? ` (${problem})` : ''}; Swarm goes on with the change (docker service ps ${service})`);
}

function report(context: FleetContext, stack: string, before: SwarmMember[], after: SwarmMember[], state: Settling): void {
  const was = new Set(before.map((m) => m.id));
  const now = new Set(after.map((m) => m.id));
  const line = (verb: string, m: SwarmMember): string => `${verb} ${m.name} (${m.ip}) container ${m.id.slice(0, 12)}\n`;
  for (const m of after) if (!was.has(m.id)) context.stdout.write(line('added', m));
  for (const m of before) if (!now.has(m.id)) context.stdout.write(line('removed', m));
  context.stdout.write(`stack "${stack}" now has ${after.length} members: ${state.state}\n`);
}
