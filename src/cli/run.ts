// Runs a clipanion Cli the way our tools promise: errors are one line on stderr (never
// clipanion's stdout report, never a stack trace for the user's mistakes), an unknown
// flag reads `Error: unknown flag: --x` followed by the command's usage, like cobra's.
import { type BaseContext, type Cli, type Command, UsageError } from 'clipanion';

interface SyntaxError {
  name: string;
  message: string;
  candidates?: { usage: string; reason: string | null }[];
}

/** The option names a usage line accepts: `fleet add [--count #0] [-h,--help]` gives --count, -h, --help. */
export function usageOptionNames(usage: string): Set<string> {
  const names = new Set<string>(['-h', '--help']);
  for (const match of usage.matchAll(/(?:^|[\s[,])(--?[A-Za-z][\w-]*)/g)) names.add(match[1]);
  return names;
}

/** The first flag in `argv` that `usage` does not accept. */
export function unknownFlag(argv: readonly string[], usage: string): string | undefined {
  const known = usageOptionNames(usage);
  for (const token of argv) {
    if (token === '--') break;
    if (!token.startsWith('-') || /^-\d/.test(token)) continue;
    const name = token.split('=')[0];
    if (!known.has(name)) return name;
  }
  return undefined;
}

/** One line: clipanion's multi-line validation reports are folded. */
export function oneLine(message: string): string {
  return message
    .replace(/:\n\n- /, ': ')
    .replace(/\n- /g, '; ')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

function syntaxErrorText(cli: Cli<BaseContext>, argv: readonly string[], error: SyntaxError): string {
  const candidates = error.candidates ?? [];
  const bad = candidates.find((c) => /^(Unsupported|Invalid) option name/.test(c.reason ?? ''));
  if (bad) {
    const flag = (/\("(.+)"\)/.exec(bad.reason ?? '')?.[1] ?? unknownFlag(argv, bad.usage) ?? '').split('=')[0];
    return `Error: unknown flag: ${flag}\nUsage:\n  ${bad.usage}\n\nRun "${cli.binaryName} ${argv[0] ?? ''} --help" for more.\n`;
  }
  const first = candidates.find((c) => c.reason)?.reason ?? error.message.split('\n')[0];
  const usages = candidates.map((c) => `  ${c.usage}`).join('\n');
  return `Error: ${oneLine(first)}${usages ? `\nUsage:\n${usages}` : ''}\n`;
}

/**
 * Joins `--flag -1` into `--flag=-1`: clipanion reads a negative number as an option
 * name and would report a missing argument instead of the bad value.
 */
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

export async function runCli(cli: Cli<BaseContext>, rawArgv: string[], context: BaseContext): Promise<number> {
  const argv = joinNegativeValues(rawArgv);
  let command: Command<BaseContext>;
  try {
    command = cli.process(argv, context);
  } catch (error) {
    const e = error as SyntaxError;
    if (e.name === 'UnknownSyntaxError' || e.name === 'AmbiguousSyntaxError') {
      context.stderr.write(syntaxErrorText(cli, argv, e));
    } else {
      context.stderr.write(`Error: ${oneLine(e.message)}\n`);
    }
    return 2;
  }
  if (command.help) {
    context.stdout.write(cli.usage(command, { detailed: true }));
    return 0;
  }
  // What clipanion's own run() hands a command; the help and version builtins use it.
  command.cli = {
    binaryLabel: cli.binaryLabel,
    binaryName: cli.binaryName,
    binaryVersion: cli.binaryVersion,
    enableCapture: cli.enableCapture,
    enableColors: cli.enableColors,
    definitions: () => cli.definitions(),
    error: (error, opts) => cli.error(error, opts),
    format: (colored) => cli.format(colored),
    process: (input, sub) => cli.process(input, { ...context, ...sub }),
    run: (input, sub) => cli.run(input, { ...context, ...sub }),
    usage: (target, opts) => cli.usage(target, opts),
  };
  try {
    return (await command.validateAndExecute()) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`Error: ${oneLine(error.message)}\n`);
      return 1;
    }
    // A bug, not the user's doing: still one line, the stack only on request.
    const e = error instanceof Error ? error : new Error(String(error));
    context.stderr.write(`Error: internal error: ${oneLine(e.message)}\n`);
    if (process.env.FLEET_DEBUG) context.stderr.write(`${e.stack ?? ''}\n`);
    return 70;
  }
}
