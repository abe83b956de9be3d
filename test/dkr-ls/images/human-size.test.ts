import t from 'tap';
import { formatGoG } from '../../../src/dkr-ls/images/go-float.js';
import { humanSize, humanSizeWithPrecision } from '../../../src/dkr-ls/images/human-size.js';

t.test('the SIZE column prints go-units HumanSizeWithPrecision(size, 3)', async (t) => {
  const cases: [number, string][] = [
    [0, '0B'],
    [1, '1B'],
    [999, '999B'],
    [1000, '1kB'],
    [1005, '1kB'], // 1.005 is 1.00499999… in binary: rounds down, trailing zeros dropped
    [1500, '1.5kB'],
    [100_500, '100kB'], // exact tie: Go rounds to even where toPrecision rounds up
    [101_500, '102kB'], // exact tie, odd digit: up
    [999_499, '999kB'],
    [999_500, '1e+03kB'], // what docker really prints
    [999_999, '1e+03kB'],
    [1_000_000, '1MB'],
    [1_125_000, '1.12MB'], // exact tie to even
    [1_135_000, '1.14MB'], // the double nearest 1.135 is 1.13500000000000000888…: above the tie
    [1_375_000, '1.38MB'], // exact tie, 7 odd: up
    [22_100_000, '22.1MB'],
    [69_200_000, '69.2MB'],
    [132_221_723, '132MB'],
    [133_000_000, '133MB'],
    [902_000_000, '902MB'],
    [1_000_000_000, '1GB'],
    [1e15, '1PB'],
    [1e24, '1YB'],
    [1e27, '1e+03YB'],
  ];
  for (const [bytes, want] of cases) t.equal(humanSizeWithPrecision(bytes, 3), want, `${bytes} bytes print as ${want}`);
});

t.test('TOTAL uses HumanSize, four significant digits as docker system df', async (t) => {
  const cases: [number, string][] = [
    [0, '0B'],
    [202_200_000, '202.2MB'],
    [264_443_446, '264.4MB'],
    [1_234_500, '1.234MB'], // exact tie to even (4 is even)
    [999_950, '1000kB'],
    [999_950_000, '1000MB'],
    [9_999_500, '9.999MB'], // 9.9995 in binary is below the tie
  ];
  for (const [bytes, want] of cases) t.equal(humanSize(bytes), want, `${bytes} bytes total ${want}`);
});

t.test("Go's %g: exponent form, ties to even, no trailing zeros", async (t) => {
  const cases: [number, number, string][] = [
    [0, 3, '0'],
    [1, 3, '1'],
    [100, 3, '100'],
    [999.5, 3, '1e+03'],
    [1234.5, 3, '1.23e+03'],
    [0.5, 3, '0.5'],
    [0.0001, 3, '0.0001'],
    [0.00001, 3, '1e-05'],
    [2.675, 3, '2.67'], // 2.67499999…
    [0.125, 2, '0.12'],
    [12.5, 2, '12'],
    [13.5, 2, '14'],
    [1e21, 3, '1e+21'],
    [123456, 6, '123456'],
    [1234567, 6, '1.23457e+06'],
  ];
  for (const [value, precision, want] of cases) t.equal(formatGoG(value, precision), want, `%.${precision}g of ${value} is ${want}`);
});
