import net, { type AddressInfo } from 'node:net';
import t from 'tap';
import { parseIoCalls, parseProcStat, procStat } from '../../../src/fleet/control/proc-stat.js';

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

t.test('parses the read and write calls of /proc/<pid>/io', async (t) => {
  const io = 'rchar: 6976\nwchar: 120\nsyscr: 10\nsyscw: 3\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n';
  const cases: [string, string, number | undefined][] = [
    ['both counted', io, 13],
    ['no syscw', 'syscr: 10\n', undefined],
    ['a name that only ends the same', 'xsyscr: 1\nsyscw: 2\n', undefined],
    ['empty', '', undefined],
  ];
  for (const [name, text, want] of cases) t.equal(parseIoCalls(text), want, name);
});

t.test('reads this process', async (t) => {
  const stat = procStat(process.pid);
  if (process.platform !== 'linux') {
    t.equal(stat, undefined);
    return;
  }
  t.equal(stat?.state, 'R', 'running: it is reading its own stat');
  t.ok((stat?.cpuMs ?? -1) >= 0);
  const before = stat?.ioCalls ?? -1;
  t.ok(before >= 0, 'its read and write calls');
  await new Promise<void>((resolve) => {
    const server = net.createServer((socket) => socket.end('x')).listen(0, '127.0.0.1', () => {
      const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
      client.resume();
      client.on('close', () => server.close(() => resolve()));
    });
  });
  t.ok((procStat(process.pid)?.ioCalls ?? -1) > before, 'a socket read and write count');
  t.equal(procStat(2 ** 22 + 1), undefined, 'no such process');
});
