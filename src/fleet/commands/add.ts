import { Command } from 'clipanion';
import { call } from '../control/socket/client.js';
import type { FleetContext } from './context.js';
import { countOption, nameOption } from './options.js';
import { memberLine } from './format.js';

export class AddCommand extends Command<FleetContext> {
  static override paths = [['add']];

  static override usage = Command.Usage({
    category: 'Members',
    description: 'add members to a running fleet',
    details: `
      Asks the daemon for \`--count\` more members and returns once they run, every member serves the new list and the new ones are in rotation. Prints the members it added.
    `,
    examples: [
      ['Add one member', '$0 add'],
      ['Add three members to the fleet "blue"', '$0 add --count 3 --name blue'],
    ],
  });

  count = countOption('add');
  name = nameOption();

  async execute(): Promise<number> {
    const result = await call(this.name, 'scale', { delta: this.count }, { timeoutMs: this.context.controlTimeoutMs });
    for (const m of result.added) this.context.stdout.write(`added ${memberLine(m)}\n`);
    this.context.stdout.write(`fleet "${this.name}" now has ${result.status.members.length} members\n`);
    return 0;
  }
}
