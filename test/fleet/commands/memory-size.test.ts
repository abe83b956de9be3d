import t from 'tap';
import { formatMemorySize, parseMemorySize } from '../../../src/fleet/commands/memory-size.js';

const MiB = 1024 * 1024;

t.test('--member-memory reads sizes as docker run --memory does: binary units', async (t) => {
  const cases: [string, number][] = [
    ['128m', 128 * MiB],
    ['128M', 128 * MiB],
    ['128mb', 128 * MiB],
    ['64MiB', 64 * MiB],
    ['1g', 1024 * MiB],
    ['1.5g', 1536 * MiB],
    ['512k', 512 * 1024],
    ['512KB', 512 * 1024],
    ['67108864', 64 * MiB],
    ['100b', 100],
    ['0.5k', 512],
    ['1.0001k', 1024],
  ];
  for (const [text, want] of cases) t.equal(parseMemorySize(text), want, `${JSON.stringify(text)} is ${want} bytes`);
});

t.test('anything else is not a size', async (t) => {
  for (const text of ['', 'banana', 'm', '-1m', '1.2.3m', '1e3', '10x', '128 m', ' 128m', '128mm', '.5g', '1t', 'Infinity', '0x10', '99999999999999999g'])
    t.equal(parseMemorySize(text), undefined, `${JSON.stringify(text)} is refused`);
});

t.test('sizes print in the largest unit that holds them exactly', async (t) => {
  const cases: [number, string][] = [
    [64 * MiB, '64m'],
    [1024 * MiB, '1g'],
    [4096 * MiB, '4g'],
    [1536 * MiB, '1536m'],
    [512 * 1024, '512k'],
    [1000, '1000'],
    [0, '0'],
  ];
  for (const [bytes, want] of cases) {
    t.equal(formatMemorySize(bytes), want, `${bytes} bytes print as ${want}`);
    if (bytes > 0) t.equal(parseMemorySize(want), bytes, `${want} reads back as ${bytes}`);
  }
});
