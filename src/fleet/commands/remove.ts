import { Command } from 'clipanion';
import { call } from '../control/socket/client.js';
import type { FleetContext } from './context.js';
import { countOption, nameOption } from './options.js';
import { memberLine } from './format.js';

export class RemoveCommand extends Command<FleetContext> {
  static override paths = [['remove']];

  static override usage = Command.Usage({
    category: 'Members',
    description: 'remove members from a running fleet, gracefully',
    details: `
      Asks the daemon to remove \`--count\` members (unhealthy ones first, then the newest). Each leaves rotation, finishes its requests in flight, the others get the new list, and only then is it stopped (SIGQUIT) and removed. Returns once that is done; a fleet keeps at least one member.
    `,
    examples: [
      ['Remove one member', '$0 remove'],
      ['Remove two members from the fleet "blue"', '$0 remove --count 2 --name blue'],
    ],
  });

  count = countOption('remove');
  name = nameOption();

  async execute(): Promise<number> {
    const result = await call(this.name, 'scale', { delta: -this.count }, { timeoutMs: this.context.controlTimeoutMs });
    for (const m of result.removed) this.context.stdout.write(`removed ${memberLine(m)}\n`);
    this.context.stdout.write(`fleet "${this.name}" now has ${result.status.members.length} members\n`);
    return 0;
  }
}
