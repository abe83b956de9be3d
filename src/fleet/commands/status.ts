import { Command, Option } from 'clipanion';
import { MANAGER_TIMEOUT_MS } from '../config.js';
import { call } from '../control/socket/client.js';
import { loadDaemon } from '../load-daemon.js';
import { localBalancer } from '../swarm/scale.js';
import { type StackStatus, stackStatus } from '../swarm/stack-status.js';
import type { FleetContext } from './context.js';
import { nameOption, stackOption } from './options.js';
import { stackTable, statusTable } from './format.js';

export class StatusCommand extends Command<FleetContext> {
  static override paths = [['status']];

  static override usage = Command.Usage({
    category: 'Members',
    description: 'show a running fleet and its members',
    details: `
      Prints the fleet's address and desired size, a line when replacing failed members is suspended (failures are systemic: many at once, or the engine erring or slow) or replacements wait their backoff, then one row per member: name, id, IP, state (pending, up, down, draining), health, whether it serves the current list, and requests in flight. \`--json\` prints one object: \`{ "name", "desired", "port", "members": [ { "id", "name", "ip", "healthy", … } ], "replacement": { "suspended", "since", "held" } }\`.

      With \`--stack NAME\`, shows a stack deployed on Docker Swarm from deploy/swarm/stack.yaml instead, as the manager that \`DOCKER_HOST\` names sees it: the members' image, desired and running count and update state, then by node (role, state, availability, \`fleet.edge\`) each member task with its state, container, overlay address and image, and the node's agent and balancer. When the stack's balancer on that manager's node answers, the head line names the list every member is owed (its generation and size) and each member's LIST column the generation it holds (\`stale\` when older). \`--json\` prints \`{ "stack", "image", "desired", "running", "update", "list", "nodes": [ { "hostname", "members": […], "agents": […], "balancers": […] } ] }\`.
    `,
    examples: [
      ['Show the fleet', '$0 status'],
      ['The same as JSON', '$0 status --json'],
      ['A stack on Swarm, from a manager', 'DOCKER_HOST=unix:///run/fleetlab/n1/docker.sock $0 status --stack web'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object instead of a table' });
  name = nameOption();
  stack = stackOption('Show this Swarm stack (deploy/swarm/stack.yaml) as the manager DOCKER_HOST names sees it, instead of a fleet on this host');

  async execute(): Promise<number> {
    if (this.stack !== undefined) {
      const status = await readStack(this.stack);
      this.context.stdout.write(this.json ? JSON.stringify(status) + '\n' : stackTable(status));
      return 0;
    }
    const status = await call(this.name, 'status', {}, { timeoutMs: this.context.controlTimeoutMs });
    this.context.stdout.write(this.json ? JSON.stringify(status) + '\n' : statusTable(status));
    return 0;
  }
}

/** The stack from the manager: its nodes, the members' service and the three services' tasks, and what the balancer on its node says the members hold. */
async function readStack(stack: string): Promise<StackStatus> {
  const { StackControl } = await loadDaemon();
  const manager = new StackControl(MANAGER_TIMEOUT_MS);
  await manager.requireService(`${stack}_members`);
  const [nodes, service, members, agents, balancers, node] = await Promise.all([
    manager.nodes(),
    manager.service(`${stack}_members`),
    manager.tasks(`${stack}_members`),
    manager.tasks(`${stack}_agent`),
    manager.tasks(`${stack}_balancer`),
    manager.localNode(),
  ]);
  // Best effort: without a balancer on this node (or one that does not answer), the LIST column stays empty.
  const local = localBalancer(balancers, node);
  const balancer = local && (await manager.balancerStatus(local.container, local.port).catch(() => undefined));
  return stackStatus(stack, { nodes, service, members, agents, balancers, ...(balancer && { balancer }) });
}
