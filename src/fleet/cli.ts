// The one place that builds fleet's CLI and turns every failure into one line on stderr.
import { Builtins, Cli } from 'clipanion';
import { AddCommand } from './commands/add.js';
import { AgentCommand } from './commands/agent.js';
import type { FleetContext } from './commands/context.js';
import { DownCommand } from './commands/down.js';
import { ImagesCommand } from './commands/images.js';
import { ReloadCommand } from './commands/reload.js';
import { RemoveCommand } from './commands/remove.js';
import { RolloutCommand } from './commands/rollout.js';
import { StatusCommand } from './commands/status.js';
import { UpCommand } from './commands/up.js';
import { joinNegativeValues, runCli } from '../cli/run.js';

export function buildCli(): Cli<FleetContext> {
  const cli = new Cli<FleetContext>({ binaryLabel: 'fleet', binaryName: 'fleet', binaryVersion: '0.1.0', enableColors: false });
  cli.register(UpCommand);
  cli.register(AddCommand);
  cli.register(RemoveCommand);
  cli.register(StatusCommand);
  cli.register(DownCommand);
  cli.register(ReloadCommand);
  cli.register(RolloutCommand);
  cli.register(ImagesCommand);
  cli.register(AgentCommand);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  return cli;
}

export function run(argv: string[], context: FleetContext): Promise<number> {
  const path = argv.find((word) => !word.startsWith('-'));
  return runCli(buildCli(), argv, context, {
    path,
    // `images` hands its words to dkr-ls untouched, which reads them its own way.
    normalize: path === 'images' ? undefined : (input) => ({ argv: joinNegativeValues(input), typed: new Map() }),
    unknownFlagHelp: (path, usage) => `Usage:\n  ${usage}\n\nRun "fleet ${path ?? ''} --help" for more.\n`,
    debugEnv: 'FLEET_DEBUG',
  });
}
