// Go's %.Ng, table-driven: each row is what `fmt.Sprintf("%.<precision>g", value)` prints
// in Go, including the ties Go rounds to even where JavaScript's toPrecision rounds up.
import t from 'tap';
import { formatGoG } from '../../../src/dkr-ls/images/go-float.js';

const cases: [value: number, precision: number, go: string, why: string][] = [
  [0, 4, '0', 'zero'],
  [1, 3, '1', 'a whole number without trailing zeros'],
  [100, 3, '100', 'as many digits as the precision stays plain'],
  [1234, 3, '1.23e+03', 'more digits before the point than the precision goes to exponent form'],
  [123456, 4, '1.235e+05', 'rounded in exponent form'],
  [100000, 6, '100000', 'trailing zeros before the point within the precision'],
  [1.125, 3, '1.12', 'an exact tie rounds to even (toPrecision says 1.13)'],
  [1.135, 3, '1.14', 'not a tie: 1.135 is stored a little above'],
  [2.5, 1, '2', 'a tie at one digit, to even, down'],
  [3.5, 1, '4', 'a tie at one digit, to even, up'],
  [1.5, 0, '2', 'precision 0 means 1'],
  [9.9999, 4, '10', 'a carry adds a digit'],
  [999.96, 4, '1000', 'a carry up to the precision stays plain'],
  [0.5, 3, '0.5', 'below one'],
  [0.0001, 4, '0.0001', 'exponent -4 is still plain'],
  [0.00001, 4, '1e-05', 'exponent -5 goes to exponent form, two digits'],
  [1e21, 4, '1e+21', 'a large power of ten'],
  [5e-324, 3, '4.94e-324', 'the smallest subnormal, from its exact expansion'],
  [1.7976931348623157e308, 3, '1.8e+308', 'the largest double'],
  [2 ** 53 + 1, 17, '9007199254740992', 'past 2^53 the double is what is printed'],
];

t.test('prints what Go prints', async (t) => {
  for (const [value, precision, go, why] of cases) t.equal(formatGoG(value, precision), go, `%.${precision}g of ${value}: ${why}`);
});

t.test('refuses what docker never formats, naming the value', async (t) => {
  for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    t.throws(() => formatGoG(value, 3), new RangeError(`formatGoG: unsupported value ${value}`), String(value));
  }
});
