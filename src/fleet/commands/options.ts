// Options that several fleet commands share, validated where they are declared.
import { Option } from 'clipanion';
import * as t from 'typanion';
import { coerce, pushError } from '../../cli/validators.js';
import { DEFAULT_NAME, MAX_REPLICAS } from '../config.js';
import { NAME_PATTERN } from '../names.js';
import { parseCidr } from '../data/forwarded.js';
import { formatMemorySize, parseMemorySize } from './memory-size.js';

export function nameOption() {
  return Option.String('--name', DEFAULT_NAME, {
    description: `The fleet's name: its containers, network and control socket are named after it (default "${DEFAULT_NAME}")`,
    validator: t.cascade(t.isString(), [t.matchesRegExp(NAME_PATTERN)]),
  });
}

/** A Docker stack's name, as `docker stack deploy` takes it. */
export const STACK_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export function stackOption(description: string) {
  return Option.String('--stack', { description, validator: t.cascade(t.isString(), [t.matchesRegExp(STACK_PATTERN)]) });
}

export function countOption(verb: string) {
  return integerOption('--count', 1, 1, MAX_REPLICAS, `How many members to ${verb} (default 1)`);
}

export function integerOption(name: string, fallback: number, min: number, max: number, description: string) {
  return Option.String(name, String(fallback), {
    description,
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(min, max)]),
  });
}

/** An IP address or CIDR (`10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`). */
export const isCidr = t.makeValidator<unknown, string>({
  test: (value, state): value is string => {
    try {
      parseCidr(String(value));
    } catch (error) {
      return pushError(state, (error as Error).message);
    }
    coerce(state, String(value).trim());
    return true;
  },
});
/** A memory size such as `128m` (see memory-size.ts), coerced to bytes within [min; max]. */
export function memoryOption(name: string, fallback: number, min: number, max: number, description: string) {
  const range = `from ${formatMemorySize(min)} to ${formatMemorySize(max)}`;
  return Option.String(name, formatMemorySize(fallback), {
    description,
    validator: t.makeValidator<unknown, number>({
      test: (value, state): value is number => {
        const bytes = typeof value === 'string' ? parseMemorySize(value) : undefined;
        if (bytes === undefined || bytes < min || bytes > max) return pushError(state, `expected a size such as 64m or 1g, ${range} (got ${JSON.stringify(value)})`);
        coerce(state, bytes);
        return true;
      },
    }),
  });
}

const DECIMAL = /^(\d+(?:\.\d+)?|\.\d+)$/;

/** A decimal number such as `0.5` or `1`, within [min; max]. */
export function decimalOption(name: string, fallback: number, min: number, max: number, what: string, description: string) {
  return Option.String(name, String(fallback), {
    description,
    validator: t.makeValidator<unknown, number>({
      test: (value, state): value is number => {
        const number = typeof value === 'string' && DECIMAL.test(value) ? Number(value) : undefined;
        if (number === undefined || number < min || number > max) return pushError(state, `expected ${what} from ${min} to ${max}, such as ${fallback} (got ${JSON.stringify(value)})`);
        coerce(state, number);
        return true;
      },
    }),
  });
}
