// Rewrites dkr-ls's command line into what clipanion parses, so every spelling the issue
// promises reaches the option validators: clipanion binds `--flag=value` only for
// lowercase names, takes no value that starts with `-`, and has no `--flag=true`.
import { UsageError } from 'clipanion';

/** A command's options, read from clipanion's definitions. */
export interface FlagSpec {
  /** Boolean flags: `--sum`. */
  booleans: Set<string>;
  /** Flags that take a value, each mapped to the name clipanion binds: `--maxTags` -> `--max-tags`. */
  values: Map<string, string>;
}

export class ArgvError extends UsageError {
  readonly flag: string;

  constructor(flag: string, message: string) {
    super(message);
    this.name = 'ArgvError';
    this.flag = flag;
  }
}

const TRUE = ['true', '1', 't', 'yes'];
const FALSE = ['false', '0', 'f', 'no'];

/** The flag spec of one command from its clipanion option definitions (`--maxTags,--max-tags #0`). */
export function flagSpec(definitions: readonly { definition: string }[]): FlagSpec {
  const spec: FlagSpec = { booleans: new Set(), values: new Map() };
  for (const { definition } of definitions) {
    const [namesPart, arity] = definition.split(' ');
    const names = namesPart.split(',').filter((name) => name.startsWith('--'));
    if (arity === undefined) {
      for (const name of names) spec.booleans.add(name);
      continue;
    }
    const bindable = names.find((name) => /^--[a-z]+(?:-[a-z]+)*$/.test(name)) ?? names[0];
    for (const name of names) spec.values.set(name, bindable);
  }
  return spec;
}

/** The subcommand: the first word that is not a flag or the value of a flag before it. */
export function commandWord(argv: readonly string[], valueFlags: ReadonlySet<string>): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') return argv[i + 1];
    if (token.startsWith('-')) {
      if (valueFlags.has(token)) i++;
      continue;
    }
    return token;
  }
  return undefined;
}

function looksLikeFlag(token: string): boolean {
  return /^--?[A-Za-z]/.test(token);
}

/**
 * `--sum=true` -> `--sum`, `--sum=false` -> `--no-sum`; `--maxTags 3`, `--maxTags=3` and
 * `--maxTags -2` -> `--max-tags=…`. Flags the command does not have are left for clipanion
 * to report. `aliases` records which spelling the user typed for each rewritten flag.
 */
export function normalizeArgv(argv: readonly string[], spec: FlagSpec): { argv: string[]; typed: Map<string, string> } {
  const out: string[] = [];
  const typed = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const eq = token.indexOf('=');
    const name = eq === -1 ? token : token.slice(0, eq);
    if (spec.booleans.has(name) && eq !== -1) {
      const value = token.slice(eq + 1).toLowerCase();
      if (TRUE.indexOf(value) !== -1) out.push(name);
      else if (FALSE.indexOf(value) !== -1) out.push(`--no-${name.slice(2)}`);
      else throw new ArgvError(name, `invalid value for ${name}: expected true or false (got ${JSON.stringify(token.slice(eq + 1))})`);
      continue;
    }
    const bindable = spec.values.get(name);
    if (bindable !== undefined) {
      let value: string | undefined;
      if (eq !== -1) value = token.slice(eq + 1);
      else if (i + 1 < argv.length && !looksLikeFlag(argv[i + 1]) && argv[i + 1] !== '--') value = argv[++i];
      typed.set(bindable, name);
      if (value === undefined) {
        out.push(bindable);
        continue;
      }
      out.push(`${bindable}=${value}`);
      continue;
    }
    out.push(token);
  }
  return { argv: out, typed };
}
