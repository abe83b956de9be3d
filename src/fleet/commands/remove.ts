import { Command } from 'clipanion';
import { call } from '../control/socket/client.js';
import type { FleetContext } from './context.js';
import { countOption, nameOption, stackOption } from './options.js';
import { scaleStack } from './stack-scale.js';
import { memberLine } from './format.js';

export class RemoveCommand extends Command<FleetContext> {
  static override paths = [['remove']];

  static override usage = Command.Usage({
    category: 'Members',
    description: 'remove members from a running fleet, gracefully',
    details: `
      Asks the daemon to remove \`--count\` members (unhealthy ones first, then the newest). Each leaves rotation, finishes its requests in flight, the others get the new list, and only then is it stopped (SIGQUIT) and removed. Returns once that is done; a fleet keeps at least one member.

      With \`--stack NAME\`, removes them from a stack deployed on Docker Swarm from deploy/swarm/stack.yaml, through the manager that \`DOCKER_HOST\` names: it lowers the replicas of NAME_members (Swarm picks the tasks and stops them with SIGQUIT; the balancers fence and drain each) and returns once Swarm runs exactly that many and every member on every node serves the list of them, as the stack's balancer on that manager's node reports it. Gives up after 300 s, and Swarm goes on with the change.
    `,
    examples: [
      ['Remove one member', '$0 remove'],
      ['Remove two members from the fleet "blue"', '$0 remove --count 2 --name blue'],
      ['Remove one member from a stack on Swarm, from an edge manager', 'DOCKER_HOST=unix:///run/fleetlab/n1/docker.sock $0 remove --stack web'],
    ],
  });

  count = countOption('remove');
  name = nameOption();
  stack = stackOption('Remove members of this Swarm stack (deploy/swarm/stack.yaml) through the manager DOCKER_HOST names, instead of a fleet on this host');

  async execute(): Promise<number> {
    if (this.stack !== undefined) return scaleStack(this.stack, -this.count, this.context);
    const result = await call(this.name, 'scale', { delta: -this.count }, { timeoutMs: this.context.controlTimeoutMs });
    for (const m of result.removed) this.context.stdout.write(`removed ${memberLine(m)}\n`);
    this.context.stdout.write(`fleet "${this.name}" now has ${result.status.members.length} members\n`);
    return 0;
  }
}
