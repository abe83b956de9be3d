// The four log levels: reading a flag's spelling, and which lines a threshold lets through.
import t from 'tap';
import { LOG_LEVELS, atLeast, parseLogLevel } from '../../src/log/levels.js';

t.test('parseLogLevel reads any case and warn, and nothing else', async (t) => {
  const cases: [string, string | undefined][] = [
    ['DEBUG', 'DEBUG'],
    ['debug', 'DEBUG'],
    ['Info', 'INFO'],
    ['warning', 'WARNING'],
    ['warn', 'WARNING'],
    ['WARN', 'WARNING'],
    [' error\n', 'ERROR'],
    ['', undefined],
    ['trace', undefined],
    ['fatal', undefined],
    ['err', undefined],
    ['INFO DEBUG', undefined],
  ];
  for (const [input, level] of cases) t.equal(parseLogLevel(input), level, JSON.stringify(input));
});

t.test('atLeast orders the levels from DEBUG to ERROR', async (t) => {
  t.same(LOG_LEVELS, ['DEBUG', 'INFO', 'WARNING', 'ERROR'], 'in rising order');
  for (const [i, level] of LOG_LEVELS.entries()) {
    for (const [j, threshold] of LOG_LEVELS.entries()) {
      t.equal(atLeast(level, threshold), i >= j, `${level} at threshold ${threshold}: ${i >= j ? 'written' : 'dropped'}`);
    }
  }
});
