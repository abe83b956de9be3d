// Runs a clipanion Cli the way both our tools promise: errors are one line on stderr
// (never clipanion's report on stdout, never a stack trace for the user's mistakes), an
// unknown flag reads `Error: unknown flag: --x` followed by the command's usage, like
// cobra's CLIs. Exit codes: 0 done, 1 the user's or the environment's failure found while
// running, 2 a bad command line, 70 a bug.
//
// Failures are told apart by their kind, never by clipanion's English: a command line that
// fits no command is an UnknownSyntaxError or AmbiguousSyntaxError (which flag is wrong is
// read from the command's own definition), a flag's value that fails its validator is the
// UsageError clipanion throws while binding, a cross-flag rule (a command's static schema)
// is checked here, and whatever the command throws is a UsageError (its message is the
// user's), or a bug.
import { type BaseContext, type Cli, type Command, type CommandClass, type Definition, UsageError } from 'clipanion';
import { AmbiguousSyntaxError, UnknownSyntaxError } from 'clipanion/lib/errors.js';
import * as t from 'typanion';

export const EXIT = { ok: 0, failed: 1, usage: 2, bug: 70 } as const;

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
// line. A repeatable flag's validator names the item (`--prefix[1]`): the flag is enough.
function retype(message: string, typed: ReadonlyMap<string, string>): string {
  let out = oneLine(message);
  typed.forEach((name, bindable) => {
    out = out.split(bindable).join(name);
  });
  return out.replace(/(--[\w-]+)\[\d+\]/g, '$1');
}

/** Starts in lower case, as every other message does. */
function lowerFirst(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** A command's flags, from its definition (`--count #0` takes a value, `--json` does not). */
function flagsOf(definition: Definition): { values: Set<string>; switches: Set<string> } {
  const values = new Set<string>();
  const switches = new Set(['-h', '--help']);
  for (const option of definition.options) {
    const [names, arity] = option.definition.split(' ');
    for (const name of names.split(',')) {
      if (arity !== undefined) values.add(name);
      else switches.add(name).add(`--no-${name.replace(/^--/, '')}`);
    }
  }
  return { values, switches };
}

type FlagProblem = { kind: 'unknown' | 'no-value'; flag: string };

const looksLikeFlag = (token: string | undefined): boolean => token !== undefined && /^--?[A-Za-z]/.test(token);

/** The first flag of `argv` the command does not have, or that lacks its value. */
function flagProblem(argv: readonly string[], definition: Definition): FlagProblem | undefined {
  const { values, switches } = flagsOf(definition);
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') return undefined;
    if (!looksLikeFlag(token)) continue;
    const eq = token.indexOf('=');
    const flag = eq === -1 ? token : token.slice(0, eq);
    if (values.has(flag)) {
      if (eq !== -1) continue;
      if (i + 1 >= argv.length || looksLikeFlag(argv[i + 1])) return { kind: 'no-value', flag };
      i++;
    } else if (!switches.has(flag) || eq !== -1) return { kind: 'unknown', flag };
  }
  return undefined;
}

// A command line that fits no command: an unknown command, an unknown flag (then the
// command's usage), a flag without its value, or clipanion's own reason for anything else.
function syntaxErrorText(cli: Cli<BaseContext>, options: RunOptions, error: UnknownSyntaxError | AmbiguousSyntaxError, argv: readonly string[], typed: ReadonlyMap<string, string>): string {
  const name = cli.binaryName;
  if (options.path !== undefined) {
    const definition = cli.definitions().find((d) => d.path === `${name} ${options.path}`);
    if (!definition) return `Error: unknown command "${options.path}" for "${name}"\nRun "${name} --help" for usage.\n`;
    const problem = flagProblem(argv, definition);
    if (problem?.kind === 'unknown') {
      // The candidate's usage line names the command's flags; the definition's names only the command.
      const candidates = error instanceof UnknownSyntaxError ? error.candidates : [];
      const usage = candidates.find((c) => c.usage === definition.path || c.usage.startsWith(`${definition.path} `))?.usage ?? definition.usage;
      return `Error: unknown flag: ${retype(problem.flag, typed)}\n${options.unknownFlagHelp(options.path, usage)}`;
    }
    if (problem?.kind === 'no-value') return `Error: flag needs an argument: ${retype(problem.flag, typed)}\n`;
  }
  const reason = error instanceof UnknownSyntaxError ? error.candidates.find((c) => c.reason)?.reason : undefined;
  return `Error: ${retype(reason ?? error.message.split('\n')[0], typed)}\n`;
}

/** A command's cross-flag rules (its static schema), checked as clipanion's validateAndExecute would; the problems, or none. */
function schemaProblems(command: Command<BaseContext>): string[] {
  const rules = (command.constructor as CommandClass<BaseContext>).schema;
  if (!rules) return [];
  const errors: string[] = [];
  const coercions: t.Coercion[] = [];
  if (t.applyCascade(t.isDict(t.isUnknown()), rules)(command, { errors, coercions })) {
    for (const [, apply] of coercions) apply();
    return [];
  }
  // Each reads `path: problem`; a rule over the whole command has the path `.`.
  return errors.map((e) => e.replace(/^\.: /, ''));
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
    if (error instanceof UnknownSyntaxError || error instanceof AmbiguousSyntaxError) context.stderr.write(syntaxErrorText(cli, options, error, normalized, typed));
    // A flag's value its validator refused (`Invalid value for --x: …`).
    else if (error instanceof UsageError) context.stderr.write(`Error: ${lowerFirst(retype(error.message, typed))}\n`);
    else context.stderr.write(`Error: ${retype(error instanceof Error ? error.message : String(error), typed)}\n`);
    return EXIT.usage;
  }
  if (command.help) {
    context.stdout.write(cli.usage(command, { detailed: true }));
    return EXIT.ok;
  }
  // A cross-flag rule is a bad command line like any other.
  const problems = schemaProblems(command);
  if (problems.length > 0) {
    context.stderr.write(`Error: ${retype(problems.join('; '), typed)}\n`);
    return EXIT.usage;
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
    return (await command.execute()) ?? EXIT.ok;
  } catch (error) {
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
