// The watchdog's verdict on a silent worker: hung (replace it), or starved of CPU or
// overloaded (leave it).
import t from 'tap';
import { isHung } from '../../../src/fleet/control/workers.js';

t.test('a silent worker is hung when stopped or spinning, not when starved or overloaded', async (t) => {
  const cases: [string, number, { state: string; cpuMs: number } | undefined, number | undefined, number | undefined, boolean][] = [
    ['no /proc: silence decides', 3_000, undefined, undefined, undefined, true],
    ['stopped (SIGSTOP)', 3_000, { state: 'T', cpuMs: 10 }, 0, 0, true],
    ['stopped by a tracer', 3_000, { state: 't', cpuMs: 10 }, 0, 0, true],
    ['first found silent: CPU not yet compared', 3_000, { state: 'R', cpuMs: 10 }, 0, 0, false],
    ['starved: little CPU since', 8_000, { state: 'R', cpuMs: 300 }, 290, 5, false],
    ['spinning: a second of CPU without a beat, and no I/O', 4_000, { state: 'R', cpuMs: 1_010 }, 1_000, 0, true],
    ['spinning, a few stray calls', 4_000, { state: 'R', cpuMs: 1_010 }, 1_000, 99, true],
    ['spinning where /proc/<pid>/io cannot be read: CPU decides', 4_000, { state: 'R', cpuMs: 1_010 }, 1_000, undefined, true],
    ['overloaded: a second of CPU in one long turn, reading and writing sockets', 5_500, { state: 'R', cpuMs: 1_040 }, 1_040, 12_000, false],
    ['overloaded just at the bound', 4_000, { state: 'R', cpuMs: 1_010 }, 1_000, 100, false],
    ['silent for 30 s, whatever it does', 30_000, { state: 'S', cpuMs: 10 }, 0, 50_000, true],
  ];
  for (const [name, silentMs, stat, burned, io, want] of cases) t.equal(isHung(silentMs, stat, burned, io), want, name);
});
