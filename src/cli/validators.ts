// typanion validators shared by both tools' options.
import * as t from 'typanion';
import { LOG_LEVELS, type LogLevel, parseLogLevel } from '../log.js';

/** A log level in any case (`debug`, `Warning`), coerced to its canonical name. */
export const isLogLevel = t.makeValidator<unknown, LogLevel>({
  test: (value, state): value is LogLevel => {
    const level = typeof value === 'string' ? parseLogLevel(value) : undefined;
    if (level === undefined) {
      state?.errors?.push(`${state.p ?? '.'}: expected one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(value)})`);
      return false;
    }
    if (state?.coercions && state.coercion) state.coercions.push([state.p ?? '.', state.coercion.bind(null, level)]);
    return true;
  },
});
