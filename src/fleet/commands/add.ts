import { Command } from 'clipanion';
import { call } from '../control/socket/client.js';
import type { FleetContext } from './context.js';
import { countOption, nameOption, stackOption } from './options.js';
import { scaleStack } from './stack-scale.js';
import { memberLine } from './format.js';

export class AddCommand extends Command<FleetContext> {
  static override paths = [['add']];

  static override usage = Command.Usage({
    category: 'Members',
    description: 'add members to a running fleet',
    details: `
      Asks the daemon for \`--count\` more members and returns once they run, every member serves the new list and the new ones are in rotation. Prints the members it added.

      With \`--stack NAME\`, adds them to a stack deployed on Docker Swarm from deploy/swarm/stack.yaml, through the manager that \`DOCKER_HOST\` names: it raises the replicas of NAME_members (what \`docker service scale\` does) and returns once Swarm runs exactly that many and every member on every node serves the list of all of them, as the stack's balancer on that manager's node reports it (so that manager must be an edge node whose balancer runs). Gives up after 300 s, and Swarm goes on with the change.
    `,
    examples: [
      ['Add one member', '$0 add'],
      ['Add three members to the fleet "blue"', '$0 add --count 3 --name blue'],
      ['Add two members to a stack on Swarm, from an edge manager', 'DOCKER_HOST=unix:///run/fleetlab/n1/docker.sock $0 add --stack web --count 2'],
    ],
  });

  count = countOption('add');
  name = nameOption();
  stack = stackOption('Add members to this Swarm stack (deploy/swarm/stack.yaml) through the manager DOCKER_HOST names, instead of a fleet on this host');

  async execute(): Promise<number> {
    if (this.stack !== undefined) return scaleStack(this.stack, this.count, this.context);
    const result = await call(this.name, 'scale', { delta: this.count }, { timeoutMs: this.context.controlTimeoutMs });
    for (const m of result.added) this.context.stdout.write(`added ${memberLine(m)}\n`);
    this.context.stdout.write(`fleet "${this.name}" now has ${result.status.members.length} members\n`);
    return 0;
  }
}
