import { Command, Option } from 'clipanion';
import { call } from '../control/socket/client.js';
import type { FleetContext } from './context.js';
import { nameOption } from './options.js';
import { statusTable } from './format.js';

export class StatusCommand extends Command<FleetContext> {
  static override paths = [['status']];

  static override usage = Command.Usage({
    category: 'Members',
    description: 'show a running fleet and its members',
    details: `
      Prints the fleet's address and desired size, a line when replacing failed members is suspended (failures are systemic: many at once, or the engine erring or slow) or replacements wait their backoff, then one row per member: name, id, IP, state (pending, up, down, draining), health, whether it serves the current list, and requests in flight. \`--json\` prints one object: \`{ "name", "desired", "port", "members": [ { "id", "name", "ip", "healthy", … } ], "replacement": { "suspended", "since", "held" } }\`.
    `,
    examples: [
      ['Show the fleet', '$0 status'],
      ['The same as JSON', '$0 status --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object instead of a table' });
  name = nameOption();

  async execute(): Promise<number> {
    const status = await call(this.name, 'status', {}, { timeoutMs: this.context.controlTimeoutMs });
    this.context.stdout.write(this.json ? JSON.stringify(status) + '\n' : statusTable(status));
    return 0;
  }
}
