// Options that several fleet commands share, validated where they are declared.
import { Option } from 'clipanion';
import * as t from 'typanion';
import { DEFAULT_NAME, MAX_REPLICAS } from '../config.js';
import { NAME_PATTERN } from '../names.js';
import { parseCidr } from '../data/forwarded.js';
import { coerce, pushError } from '../../cli/validators.js';

export function nameOption() {
  return Option.String('--name', DEFAULT_NAME, {
    description: `The fleet's name: its containers, network and control socket are named after it (default "${DEFAULT_NAME}")`,
    validator: t.cascade(t.isString(), [t.matchesRegExp(NAME_PATTERN)]),
  });
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
