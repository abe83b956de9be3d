import t from 'tap';
import { parseSize } from '../../src/cli/parse-size.js';

t.test('--minSize reads decimal and binary units and plain bytes', async (t) => {
  const cases: [string, number][] = [
    ['0', 0],
    ['1000', 1000],
    ['100B', 100],
    ['1kB', 1000],
    ['1KB', 1000],
    ['1k', 1000],
    ['100MB', 100_000_000],
    ['100mb', 100_000_000],
    ['22.1MB', 22_100_000],
    ['1.5GB', 1_500_000_000],
    ['2TB', 2e12],
    ['.5kB', 500],
    ['1 MB', 1_000_000],
    ['1KiB', 1024],
    ['1.5MiB', 1_572_864],
    ['1GiB', 1_073_741_824],
    [' 10MB ', 10_000_000],
  ];
  for (const [text, want] of cases) t.equal(parseSize(text), want, `${JSON.stringify(text)} is ${want} bytes`);
});

t.test('anything else is not a size', async (t) => {
  for (const text of ['', 'banana', 'MB', '-1MB', '1.2.3MB', '1e3', '10XB', '1 0MB', '1MBB', 'Infinity', '0x10'])
    t.equal(parseSize(text), undefined, `${JSON.stringify(text)} is rejected`);
});
