// The one place that builds dkr-ls's CLI and runs it: argv normalized for clipanion
// (argv.ts), every failure one line on stderr with nothing on stdout, an unknown flag as
// `Error: unknown flag: --x` followed by the command's usage, like cobra-based CLIs.
import { type BaseContext, Builtins, Cli, type Command, type CommandClass, UsageError } from 'clipanion';
import { isEngineError } from '../engine/errors.js';
import { ArgvError, commandWord, flagSpec, normalizeArgv } from './argv.js';
import { ReposCommand } from './commands/repos.js';
import { TagsCommand } from './commands/tags.js';

export const VERSION = '0.1.0';

/** Exit codes: 0 listed, 1 the engine or the environment failed, 2 bad command line, 70 a bug. */
export const EXIT = { ok: 0, failed: 1, usage: 2, bug: 70 } as const;

const COMMANDS: CommandClass<BaseContext>[] = [TagsCommand, ReposCommand];

export function buildCli(): Cli<BaseContext> {
  const cli = new Cli<BaseContext>({ binaryLabel: 'dkr-ls', binaryName: 'dkr-ls', binaryVersion: VERSION, enableColors: false });
  for (const command of COMMANDS) cli.register(command);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  return cli;
}

interface ParseError {
  name: string;
  message: string;
  candidates?: { usage: string; reason: string | null }[];
}

// The command's usage as an unknown flag shows it: the usage line and each flag.
function commandUsage(cli: Cli<BaseContext>, path: string): string {
  const definition = cli.definitions().find((d) => d.path === `dkr-ls ${path}`);
  if (!definition) return cli.usage(null);
  const flags = definition.options.map((o) => [o.definition.replace(/,/g, ', ').replace(/ #0$/, ' <value>'), o.description ?? ''] as const);
  const width = flags.reduce((max, [name]) => Math.max(max, name.length), 0);
  const lines = flags.map(([name, description]) => `  ${name.padEnd(width)}   ${description}`);
  return `Usage:\n  ${definition.path} [flags]\n\nFlags:\n${lines.join('\n')}\n\nRun "dkr-ls ${path} --help" for more.\n`;
}

function oneLine(message: string): string {
  return message
    .replace(/:\n\n- /, ': ')
    .replace(/\n- /g, '; ')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

// clipanion speaks of the alias it bound (`--max-tags`); say what the user typed.
function retype(message: string, typed: ReadonlyMap<string, string>): string {
  let out = message;
  typed.forEach((name, bindable) => {
    out = out.split(bindable).join(name);
  });
  return out.replace(/^Invalid value/, 'invalid value');
}

function parseErrorText(cli: Cli<BaseContext>, path: string | undefined, error: ParseError, typed: ReadonlyMap<string, string>): string {
  const candidates = error.candidates ?? [];
  for (const candidate of candidates) {
    const match = /^(?:Unsupported|Invalid) option name \("(.+)"\)/.exec(candidate.reason ?? '');
    if (match && path) {
      const flag = retype(match[1].split('=')[0], typed);
      return `Error: unknown flag: ${flag}\n${commandUsage(cli, path)}`;
    }
    const missing = /^Not enough arguments to option (\S+?)\.?$/.exec(candidate.reason ?? '');
    if (missing) return `Error: flag needs an argument: ${retype(missing[1], typed)}\n`;
  }
  if (path && !COMMANDS.some((command) => command.paths?.some((p) => p.join(' ') === path))) {
    return `Error: unknown command "${path}" for "dkr-ls"\nRun "dkr-ls --help" for usage.\n`;
  }
  const reason = candidates.find((c) => c.reason)?.reason ?? error.message.split('\n')[0];
  return `Error: ${retype(oneLine(reason), typed)}\n`;
}

// Only spellings clipanion can't parse need the command's flags (and cli.definitions(),
// which formats every usage text): `--maxTags …`, `--sum=true`, `--log-level=debug`.
function needsNormalizing(argv: readonly string[]): boolean {
  return argv.some((token) => /^--[^=]*[A-Z]/.test(token) || /^--[^=]+=/.test(token) || /^-\d/.test(token));
}

/** Runs dkr-ls with `argv` (no node, no script); resolves to the exit code. */
export async function run(argv: readonly string[], context: BaseContext): Promise<number> {
  const cli = buildCli();
  const path = commandWord(argv, new Set(['--log-level']));
  if (path === undefined && !argv.some((a) => a === '-h' || a === '--help' || a === '--version' || a === '-v')) {
    context.stdout.write(cli.usage(null));
    return EXIT.ok;
  }

  let normalized = argv.slice();
  let typed = new Map<string, string>();
  if (needsNormalizing(argv)) {
    const definition = cli.definitions().find((d) => d.path === `dkr-ls ${path ?? ''}`);
    try {
      ({ argv: normalized, typed } = normalizeArgv(argv, flagSpec(definition?.options ?? [])));
    } catch (error) {
      if (error instanceof ArgvError) {
        context.stderr.write(`Error: ${error.message}\n`);
        return EXIT.usage;
      }
      throw error;
    }
  }

  let command: Command<BaseContext>;
  try {
    command = cli.process(normalized, context);
  } catch (error) {
    const e = error as ParseError;
    if (e.name === 'UnknownSyntaxError' || e.name === 'AmbiguousSyntaxError') {
      context.stderr.write(parseErrorText(cli, path, e, typed));
    } else {
      context.stderr.write(`Error: ${retype(oneLine(e.message), typed)}\n`);
    }
    return EXIT.usage;
  }
  if (command.help) {
    context.stdout.write(cli.usage(command, { detailed: true }));
    return EXIT.ok;
  }
  // What clipanion's own run() hands a command; the help and version builtins use it.
  command.cli = {
    binaryLabel: cli.binaryLabel,
    binaryName: cli.binaryName,
    binaryVersion: cli.binaryVersion,
    enableCapture: cli.enableCapture,
    enableColors: cli.enableColors,
    definitions: () => cli.definitions(),
    error: (err, opts) => cli.error(err, opts),
    format: (colored) => cli.format(colored),
    process: (input, sub) => cli.process(input, { ...context, ...sub }),
    run: (input, sub) => cli.run(input, { ...context, ...sub }),
    usage: (target, opts) => cli.usage(target, opts),
  };
  try {
    return (await command.validateAndExecute()) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError || isEngineError(error)) {
      context.stderr.write(`Error: ${retype(oneLine(error.message), typed)}\n`);
      return EXIT.failed;
    }
    // A bug, not the user's doing: still one line; the stack only with DKR_LS_DEBUG set.
    const e = error instanceof Error ? error : new Error(String(error));
    context.stderr.write(`Error: internal error: ${oneLine(e.message)}\n`);
    if (process.env.DKR_LS_DEBUG) context.stderr.write(`${e.stack ?? ''}\n`);
    return EXIT.bug;
  }
}
