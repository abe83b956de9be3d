// The options dkr-ls's commands share, typed and validated where they are declared.
// camelCase flags (as the brief spells them) also get a kebab-case alias: clipanion only
// binds `--flag=value` for lowercase names, and the runner routes `--maxTags=3` and
// `--maxTags -2` through the alias so they reach the validator (see argv.ts).
import { Option } from 'clipanion';
import * as t from 'typanion';
import { LOG_LEVELS, type LogLevel } from '../../log.js';
import { coerce, isByteSize, isLogLevel, pushError } from '../../cli/validators.js';

export const DEFAULT_LOG_LEVEL: LogLevel = 'WARNING';

/** A human-readable size (`100MB`, `1.5GB`, `512KiB`, `1000`), coerced to bytes. */
export const isHumanSize = isByteSize();

/** A whole number of at least `min`, written in decimal digits (`3`, not `3.0` or `1e3`). */
export function isWholeNumber(min: number) {
  return t.makeValidator<unknown, number>({
    test: (value, state): value is number => {
      const text = typeof value === 'string' ? value.trim() : '';
      if (!/^-?\d+$/.test(text)) return pushError(state, `expected a whole number (got ${JSON.stringify(value)})`);
      const n = Number(text);
      if (n < min) return pushError(state, `expected at least ${min} (got ${text})`);
      if (!Number.isSafeInteger(n)) return pushError(state, `expected a smaller number (got ${text})`);
      coerce(state, n);
      return true;
    },
  });
}

export function logLevelOption() {
  return Option.String('--log-level', DEFAULT_LOG_LEVEL, {
    description: `Log level, any case: ${LOG_LEVELS.join(', ')} (default ${DEFAULT_LOG_LEVEL}); logs go to stderr`,
    validator: isLogLevel,
  });
}

export function prefixOption() {
  return Option.Array('--prefix', [], {
    description: 'List only repositories starting with this prefix (repeatable; any of them matches)',
  });
}

export function minAgeOption() {
  return Option.String('--minAge,--min-age', {
    description: 'List only images created more than N×24 hours ago (whole days, >= 0)',
    validator: isWholeNumber(0),
  });
}

export function minSizeOption() {
  return Option.String('--minSize,--min-size', {
    description: 'List only images larger than this size: 100MB (decimal, as SIZE prints), 1.5GB, 512KiB, or bytes',
    validator: isHumanSize,
  });
}

export function maxTagsOption() {
  return Option.String('--maxTags,--max-tags', {
    description: "List only each repository's N newest tags (N >= 1)",
    validator: isWholeNumber(1),
  });
}

export function jsonOption() {
  return Option.Boolean('--json', false, {
    description: 'Print one JSON object per row with raw values instead of the table',
  });
}
