// The one place that builds dkr-ls's CLI and runs it: argv normalized for clipanion
// (argv.ts), every failure one line on stderr with nothing on stdout, an unknown flag as
// `Error: unknown flag: --x` followed by the command's usage, like cobra-based CLIs.
import { type BaseContext, Builtins, Cli, type CommandClass } from 'clipanion';
import { EXIT, runCli } from '../cli/run.js';
import { isEngineError } from '../engine/errors.js';
import { commandWord, flagSpec, normalizeArgv } from './argv.js';
import { ReposCommand } from './commands/repos.js';
import { TagsCommand } from './commands/tags.js';

export const VERSION = '0.1.0';

export { EXIT };

const COMMANDS: CommandClass<BaseContext>[] = [TagsCommand, ReposCommand];

/** The same commands under another name: fleet runs them as `fleet images …`. */
export function buildCli(binaryName = 'dkr-ls'): Cli<BaseContext> {
  const cli = new Cli<BaseContext>({ binaryLabel: binaryName, binaryName, binaryVersion: VERSION, enableColors: false });
  for (const command of COMMANDS) cli.register(command);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  return cli;
}

// The command's usage as an unknown flag shows it: the usage line and each flag.
function commandUsage(cli: Cli<BaseContext>, path: string | undefined): string {
  const definition = cli.definitions().find((d) => d.path === `${cli.binaryName} ${path ?? ''}`);
  if (!definition) return cli.usage(null);
  const flags = definition.options.map((o) => [o.definition.replace(/,/g, ', ').replace(/ #0$/, ' <value>'), o.description ?? ''] as const);
  const width = flags.reduce((max, [name]) => Math.max(max, name.length), 0);
  const lines = flags.map(([name, description]) => `  ${name.padEnd(width)}   ${description}`);
  return `Usage:\n  ${definition.path} [flags]\n\nFlags:\n${lines.join('\n')}\n\nRun "${cli.binaryName} ${path ?? ''} --help" for more.\n`;
}

// Only spellings clipanion can't parse need the command's flags (and cli.definitions(),
// which formats every usage text): `--maxTags …`, `--sum=true`, `--log-level=debug`.
function needsNormalizing(argv: readonly string[]): boolean {
  return argv.some((token) => /^--[^=]*[A-Z]/.test(token) || /^--[^=]+=/.test(token) || /^-\d/.test(token));
}

/** Runs dkr-ls with `argv` (no node, no script); resolves to the exit code. */
export async function run(argv: readonly string[], context: BaseContext, binaryName = 'dkr-ls'): Promise<number> {
  const cli = buildCli(binaryName);
  const path = commandWord(argv, new Set(['--log-level']));
  if (path === undefined && !argv.some((a) => a === '-h' || a === '--help' || a === '--version' || a === '-v')) {
    context.stdout.write(cli.usage(null));
    return EXIT.ok;
  }
  return runCli(cli, argv, context, {
    path,
    normalize: needsNormalizing(argv)
      ? (input) => normalizeArgv(input, flagSpec(cli.definitions().find((d) => d.path === `${binaryName} ${path ?? ''}`)?.options ?? []))
      : undefined,
    unknownFlagHelp: (commandPath) => commandUsage(cli, commandPath),
    isUserError: isEngineError,
    debugEnv: 'DKR_LS_DEBUG',
  });
}
