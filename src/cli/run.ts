// Runs a clipanion Cli the way both our tools promise: errors are one line on stderr
// (never clipanion's report on stdout, never a stack trace for the user's mistakes), an
// unknown flag reads `Error: unknown flag: --x` followed by the command's usage, like
// cobra's CLIs. Exit codes: 0 done, 1 the user's or the environment's failure found while
// running, 2 a bad command line, 70 a bug.
import { type BaseContext, type Cli, type Command, UsageError } from 'clipanion';

export const EXIT = { ok: 0, failed: 1, usage: 2, bug: 70 } as const;

const SCHEMA_PREFIX = 'Invalid option schema: ';

/**
 * A UsageError, from this bundle's clipanion or another's: fleet's daemon is a bundle of its
 * own (dist/fleet-daemon.cjs) with its own copy of the class, so `instanceof` cannot tell.
 */
function isUsageError(error: unknown): error is Error {
  return error instanceof UsageError || (error instanceof Error && (error as { clipanion?: { type?: string } }).clipanion?.type === 'usage');
}

export interface RunOptions {
  /** The word that names the command (`tags`, `up`); undefined when there is none. */
  path: string | undefined;
  /**
   * Rewrites argv into what clipanion parses; `typed` maps each name clipanion binds back
   * to the spelling the user typed, for messages. May throw a UsageError for a bad spelling.
   */
  normalize?: (argv: readonly string[]) => { argv: string[]; typed: ReadonlyMap<string, string> };
  /** What follows `Error: unknown flag: --x`: the command's usage, ending in a newline. */
  unknownFlagHelp: (path: string | undefined, usage: string) => string;
  /** Failures that are the user's or the environment's doing besides a UsageError. */
  isUserError?: (error: unknown) => boolean;
  /** The variable that, when set, adds a bug's stack trace. */
  debugEnv: string;
}

interface ParseError {
  name: string;
  message: string;
  candidates?: { usage: string; reason: string | null }[];
}

/** One line: clipanion's multi-line validation reports are folded. */
export function oneLine(message: string): string {
  return message
    .replace(/:\n\n- /, ': ')
    .replace(/\n- /g, '; ')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** Joins `--flag -1` into `--flag=-1`: clipanion reads a negative number as an option name. */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const next = argv[i + 1];
    if (/^--[\w-]+$/.test(token) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${token}=${next}`);
      i++;
    } else out.push(token);
  }
  return out;
}

// clipanion speaks of the name it bound (`--max-tags`); say what the user typed, on one
// line, starting in lower case as the other messages do.
function retype(message: string, typed: ReadonlyMap<string, string>): string {
  let out = oneLine(message);
  typed.forEach((name, bindable) => {
    out = out.split(bindable).join(name);
  });
  // A repeatable flag's validator names the item (`--prefix[1]`): the flag is enough.
  return out.replace(/^Invalid value/, 'invalid value').replace(/(--[\w-]+)\[\d+\]/g, '$1');
}

function parseErrorText(cli: Cli<BaseContext>, options: RunOptions, error: ParseError, typed: ReadonlyMap<string, string>): string {
  const candidates = error.candidates ?? [];
  for (const candidate of candidates) {
    const unknown = /^(?:Unsupported|Invalid) option name \("(.+)"\)/.exec(candidate.reason ?? '');
    if (unknown && options.path) {
      return `Error: unknown flag: ${retype(unknown[1].split('=')[0], typed)}\n${options.unknownFlagHelp(options.path, candidate.usage)}`;
    }
    const missing = /^Not enough arguments to option (\S+?)\.?$/.exec(candidate.reason ?? '');
    if (missing) return `Error: flag needs an argument: ${retype(missing[1], typed)}\n`;
  }
  const name = cli.binaryName;
  if (options.path && !cli.definitions().some((d) => d.path === `${name} ${options.path}`)) {
    return `Error: unknown command "${options.path}" for "${name}"\nRun "${name} --help" for usage.\n`;
  }
  const reason = candidates.find((c) => c.reason)?.reason ?? error.message.split('\n')[0];
  return `Error: ${retype(reason, typed)}\n`;
}

export async function runCli(cli: Cli<BaseContext>, argv: readonly string[], context: BaseContext, options: RunOptions): Promise<number> {
  let normalized = argv.slice();
  let typed: ReadonlyMap<string, string> = new Map();
  if (options.normalize) {
    try {
      ({ argv: normalized, typed } = options.normalize(argv));
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      context.stderr.write(`Error: ${oneLine(error.message)}\n`);
      return EXIT.usage;
    }
  }

  let command: Command<BaseContext>;
  try {
    command = cli.process(normalized, context);
  } catch (error) {
    const e = error as ParseError;
    if (e.name === 'UnknownSyntaxError' || e.name === 'AmbiguousSyntaxError') context.stderr.write(parseErrorText(cli, options, e, typed));
    else context.stderr.write(`Error: ${retype(e.message, typed)}\n`);
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
    // A cross-flag rule (a command's static schema) is a bad command line like any other.
    if (isUsageError(error) && error.message.startsWith(SCHEMA_PREFIX)) {
      context.stderr.write(`Error: ${retype(error.message.slice(SCHEMA_PREFIX.length), typed)}\n`);
      return EXIT.usage;
    }
    if (isUsageError(error) || options.isUserError?.(error)) {
      context.stderr.write(`Error: ${retype((error as Error).message, typed)}\n`);
      return EXIT.failed;
    }
    // A bug, not the user's doing: still one line, the stack only on request.
    const e = error instanceof Error ? error : new Error(String(error));
    context.stderr.write(`Error: internal error: ${oneLine(e.message)}\n`);
    if (process.env[options.debugEnv]) context.stderr.write(`${e.stack ?? ''}\n`);
    return EXIT.bug;
  }
}
