// The shared typanion validators, through typanion itself: what passes is coerced to its
// typed value, what fails gives one line naming the option and what was wrong.
import t from 'tap';
import * as ty from 'typanion';
import { coerce, isByteSize, isLogLevel, pushError } from '../../src/cli/validators.js';

/** Runs a validator as clipanion does for `--flag value`: the coerced value, or the errors. */
function check(validator: ty.StrictValidator<unknown, unknown>, value: unknown): { value?: unknown; errors?: string[] } {
  const errors: string[] = [];
  const coercions: ty.Coercion[] = [];
  let result = value;
  const ok = validator(value, { errors, coercions, p: '--flag', coercion: (v: unknown) => ((result = v), true) } as unknown as ty.ValidationState);
  if (!ok) return { errors };
  for (const [, apply] of coercions) apply();
  return { value: result };
}

t.test('isLogLevel: any case, coerced to the canonical name', async (t) => {
  const cases: [unknown, { value?: unknown; errors?: string[] }][] = [
    ['debug', { value: 'DEBUG' }],
    ['Warning', { value: 'WARNING' }],
    ['warn', { value: 'WARNING' }],
    ['ERROR', { value: 'ERROR' }],
    ['loud', { errors: ['--flag: expected one of DEBUG, INFO, WARNING, ERROR (got "loud")'] }],
    ['', { errors: ['--flag: expected one of DEBUG, INFO, WARNING, ERROR (got "")'] }],
    [3, { errors: ['--flag: expected one of DEBUG, INFO, WARNING, ERROR (got 3)'] }],
  ];
  for (const [value, want] of cases) t.same(check(isLogLevel, value), want, JSON.stringify(value));
});

t.test('isByteSize: a size within bounds, coerced to whole bytes', async (t) => {
  const between = isByteSize(1_000, 1_000_000);
  const cases: [ty.StrictValidator<unknown, unknown>, unknown, { value?: unknown; errors?: string[] }][] = [
    [isByteSize(), '1000', { value: 1000 }],
    [isByteSize(), '0', { value: 0 }],
    [isByteSize(), '1.5GB', { value: 1_500_000_000 }],
    [isByteSize(), '512KiB', { value: 524_288 }],
    [between, '1kB', { value: 1000 }],
    [between, '1MB', { value: 1_000_000 }],
    [between, '999', { errors: ['--flag: expected a size from 1000 to 1000000 bytes (got "999")'] }],
    [between, '1.1MB', { errors: ['--flag: expected a size from 1000 to 1000000 bytes (got "1.1MB")'] }],
    [isByteSize(), 'lots', { errors: ['--flag: expected a size such as 100MB, 1.5GB, 512KiB or a byte count (got "lots")'] }],
    [isByteSize(), '-1', { errors: ['--flag: expected a size such as 100MB, 1.5GB, 512KiB or a byte count (got "-1")'] }],
    [isByteSize(), 5, { errors: ['--flag: expected a size such as 100MB, 1.5GB, 512KiB or a byte count (got 5)'] }],
  ];
  for (const [validator, value, want] of cases) t.same(check(validator, value), want, JSON.stringify(value));
});

t.test('pushError and coerce do nothing without a state to record in', async (t) => {
  t.equal(pushError(undefined, 'bad'), false, 'pushError still says the test failed');
  t.doesNotThrow(() => coerce(undefined, 1), 'coerce without a state is a no-op');
  const errors: string[] = [];
  pushError({ errors }, 'bad');
  t.same(errors, ['.: bad'], 'a state without a path reports at "."');
  const coercions: ty.Coercion[] = [];
  coerce({ coercions }, 1);
  t.same(coercions, [], 'no coercion without a coercion function');
});
