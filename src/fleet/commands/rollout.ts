import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { pushError } from '../../cli/validators.js';
import { DEFAULT_READY_TIMEOUT_MS, MAX_READY_TIMEOUT_MS } from '../config.js';
import { call } from '../control/socket/client.js';
import { IMAGE_PATTERN } from '../control/socket/protocol.js';
import type { FleetStatus } from '../control/types.js';
import type { FleetContext } from './context.js';
import { memberLine } from './format.js';
import { integerOption, nameOption } from './options.js';

/** An image reference as Docker takes one (protocol.ts checks it again at the socket). */
const isImage = t.makeValidator<unknown, string>({
  test: (value, state): value is string => {
    if (typeof value === 'string' && value.length <= 255 && IMAGE_PATTERN.test(value)) return true;
    return pushError(state, `expected an image such as fleet-nginx:2 or registry.example/team/web@sha256:… (got ${JSON.stringify(value)})`);
  },
});

/** How often the progress lines look at the fleet while the rollout runs. */
const PROGRESS_EVERY_MS = 250;

export class RolloutCommand extends Command<FleetContext> {
  static override paths = [['rollout']];

  // --image is required; said as a bad command line (exit 2), not clipanion's "Command not found".
  static override schema = [
    t.makeValidator<unknown, unknown>({
      test: (value, state) => ((value as { image?: string }).image !== undefined ? true : pushError(state, 'fleet rollout needs --image IMAGE: the image to move the members to')),
    }),
  ];

  static override usage = Command.Usage({
    category: 'Members',
    description: "move a running fleet's members to a new image, one at a time, failing no request",
    details: `
      Starts a member on \`--image\` beside the old ones; once it holds the current list, passes its health checks and is in rotation, one old member is fenced, drained (its requests in flight finish, up to the daemon's \`--drain-timeout\`) and removed; then the next. The fleet never serves with fewer members than its desired count.

      When a new member fails its health checks (\`--fall\` in a row) or a step brings no new member into rotation within \`--ready-timeout\` seconds, the rollout rolls back: the new members are removed the same way, members on the old image take their places, the fleet keeps the old image, and the command exits 1 with one line naming what failed. Otherwise the daemon keeps the new image: members it replaces later start from it, and \`fleet status\` shows it.

      One rollout runs at a time: a second one, or \`fleet add\` / \`fleet remove\` during one, is refused (exit 1) and changes nothing. While it runs, a line on stderr for each member started, in rotation and removed; the members started and removed on stdout at the end.
    `,
    examples: [
      ['Move the fleet to fleet-nginx:2', '$0 rollout --image fleet-nginx:2'],
      ['The same for the fleet "blue", giving each new member 2 minutes', '$0 rollout --image fleet-nginx:2 --name blue --ready-timeout 120'],
    ],
  });

  image = Option.String('--image', {
    description: 'The image to move the members to, as the engine names it (required); it must exist on the engine and be a fleet member image',
    validator: isImage,
  });
  readyTimeout = integerOption(
    '--ready-timeout',
    DEFAULT_READY_TIMEOUT_MS / 1000,
    1,
    MAX_READY_TIMEOUT_MS / 1000,
    `Seconds a new member may take to enter rotation before the rollout rolls back (default ${DEFAULT_READY_TIMEOUT_MS / 1000})`,
  );
  name = nameOption();

  async execute(): Promise<number> {
    const image = this.image!;
    const progress = new RolloutProgress(image, (line) => this.context.stderr.write(`${line}\n`));
    // A look still on its way when the rollout answers says nothing more.
    let done = false;
    const timer = setInterval(() => {
      call(this.name, 'status', {}, { timeoutMs: 5_000 }).then(
        (status) => done || progress.update(status),
        () => undefined,
      );
    }, PROGRESS_EVERY_MS);
    try {
      const result = await call(this.name, 'rollout', { image, readyTimeoutMs: this.readyTimeout * 1000 }, { timeoutMs: this.context.controlTimeoutMs });
      for (const m of result.started) this.context.stdout.write(`started ${memberLine(m)}\n`);
      for (const m of result.removed) this.context.stdout.write(`removed ${memberLine(m)}\n`);
      this.context.stdout.write(`fleet "${this.name}" now runs ${result.image} on ${result.status.members.length} members (was ${result.previous})\n`);
      return 0;
    } finally {
      done = true;
      clearInterval(timer);
    }
  }
}

/** What changed between two looks at the fleet, as lines: a member started, in rotation, removed. */
export class RolloutProgress {
  private readonly seen = new Map<string, { line: string; up: boolean }>();
  private first = true;

  constructor(
    private readonly image: string,
    private readonly write: (line: string) => void,
  ) {}

  update(status: FleetStatus): void {
    const now = new Set(status.members.map((m) => m.id));
    for (const m of status.members) {
      const known = this.seen.get(m.id);
      const up = m.state === 'up';
      if (!known) {
        this.seen.set(m.id, { line: memberLine(m), up });
        if (!this.first) this.write(`started ${memberLine(m)} on ${m.image ?? this.image}`);
        if (!this.first && up) this.write(`in rotation ${memberLine(m)}`);
      } else if (up && !known.up) {
        known.up = true;
        this.write(`in rotation ${known.line}`);
      }
    }
    for (const [id, known] of this.seen) {
      if (now.has(id)) continue;
      this.seen.delete(id);
      this.write(`removed ${known.line}`);
    }
    this.first = false;
  }
}
