import { Command } from 'clipanion';
import { call } from '../control/socket/client.js';
import type { FleetContext } from './context.js';
import { workersTable } from './format.js';
import { nameOption } from './options.js';

export class ReloadCommand extends Command<FleetContext> {
  static override paths = [['reload']];

  static override usage = Command.Usage({
    category: 'Daemon',
    description: "replace the balancer's worker processes one at a time, failing no request",
    details: `
      Starts a new worker for each running one; once it serves, the old one stops accepting, answers what it has in flight with \`Connection: close\` and exits. Use it to load new code into the balancer, or to let go of whatever a worker held. SIGHUP to the daemon does the same. Prints the workers afterwards.
    `,
    examples: [
      ['Replace the workers', '$0 reload'],
      ['The same for the fleet "blue"', '$0 reload --name blue'],
    ],
  });

  name = nameOption();

  async execute(): Promise<number> {
    const result = await call(this.name, 'reload', {}, { timeoutMs: this.context.controlTimeoutMs });
    this.context.stdout.write(workersTable(result.workers));
    return 0;
  }
}
