import t from 'tap';
import { parseProcStat, procStat } from '../../../src/fleet/control/proc-stat.js';

t.test('parses state and CPU time, whatever the command name holds', async (t) => {
  const rest = '1 1 1 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 1 0 100 1000 10';
  const cases: [string, string, { state: string; cpuMs: number } | undefined][] = [
    ['a plain name', `4242 (node) R ${rest}`, { state: 'R', cpuMs: 2800 }],
    ['a stopped process', `4242 (node) T ${rest}`, { state: 'T', cpuMs: 2800 }],
    ['a name with spaces and a parenthesis', `4242 (fleet (w) 1) S ${rest}`, { state: 'S', cpuMs: 2800 }],
    ['cut short', '4242 (node) R 1 1', undefined],
    ['empty', '', undefined],
  ];
  for (const [name, text, want] of cases) t.same(parseProcStat(text), want, name);
});

t.test('reads this process', async (t) => {
  const stat = procStat(process.pid);
  if (process.platform !== 'linux') {
    t.equal(stat, undefined);
    return;
  }
  t.equal(stat?.state, 'R', 'running: it is reading its own stat');
  t.ok((stat?.cpuMs ?? -1) >= 0);
  t.equal(procStat(2 ** 22 + 1), undefined, 'no such process');
});
