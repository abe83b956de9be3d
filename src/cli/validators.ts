// typanion validators shared by both tools' options, and the two steps every custom
// validator here takes: report a failure, or coerce the string to its typed value.
import * as t from 'typanion';
import { LOG_LEVELS, type LogLevel, parseLogLevel } from '../log.js';
import { parseSize } from './parse-size.js';

/** Records a validation failure at the option's path; returns false for `test` to return. */
export function pushError(state: t.ValidationState | undefined, message: string): false {
  state?.errors?.push(`${state.p ?? '.'}: ${message}`);
  return false;
}

/** Replaces the option's string with its typed value once validation passes. */
export function coerce(state: t.ValidationState | undefined, value: unknown): void {
  if (state?.coercions && state.coercion) state.coercions.push([state.p ?? '.', state.coercion.bind(null, value)]);
}

/** A log level in any case (`debug`, `Warning`), coerced to its canonical name. */
export const isLogLevel = t.makeValidator<unknown, LogLevel>({
  test: (value, state): value is LogLevel => {
    const level = typeof value === 'string' ? parseLogLevel(value) : undefined;
    if (level === undefined) return pushError(state, `expected one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(value)})`);
    coerce(state, level);
    return true;
  },
});

/** A human-readable size (`100MB`, `1.5GB`, `512KiB`, `1000`) within [min, max] bytes, coerced to whole bytes. */
export function isByteSize(min = 0, max = Number.MAX_SAFE_INTEGER) {
  return t.makeValidator<unknown, number>({
    test: (value, state): value is number => {
      const bytes = typeof value === 'string' ? parseSize(value) : undefined;
      if (bytes === undefined) {
        return pushError(state, `expected a size such as 100MB, 1.5GB, 512KiB or a byte count (got ${JSON.stringify(value)})`);
      }
      if (bytes < min || bytes > max) return pushError(state, `expected a size from ${min} to ${max} bytes (got ${JSON.stringify(value)})`);
      coerce(state, Math.floor(bytes));
      return true;
    },
  });
}
