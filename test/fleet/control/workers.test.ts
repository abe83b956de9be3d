// The watchdog's verdict on a silent worker: hung (replace it) or starved of CPU (leave it).
import t from 'tap';
import { isHung } from '../../../src/fleet/control/workers.js';

t.test('a silent worker is hung when stopped or spinning, not when starved', async (t) => {
  const cases: [string, number, { state: string; cpuMs: number } | undefined, number | undefined, boolean][] = [
    ['no /proc: silence decides', 3_000, undefined, undefined, true],
    ['stopped (SIGSTOP)', 3_000, { state: 'T', cpuMs: 10 }, 0, true],
    ['stopped by a tracer', 3_000, { state: 't', cpuMs: 10 }, 0, true],
    ['first found silent: CPU not yet compared', 3_000, { state: 'R', cpuMs: 10 }, 0, false],
    ['starved: little CPU since', 8_000, { state: 'R', cpuMs: 300 }, 290, false],
    ['spinning: a second of CPU without a beat', 4_000, { state: 'R', cpuMs: 1_010 }, 1_000, true],
    ['silent for 30 s, whatever it does', 30_000, { state: 'S', cpuMs: 10 }, 0, true],
  ];
  for (const [name, silentMs, stat, burned, want] of cases) t.equal(isHung(silentMs, stat, burned), want, name);
});
