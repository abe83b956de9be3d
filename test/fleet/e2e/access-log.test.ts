// `fleet up --access-log`: the workers write one line per request to the file, text or JSON
// as --log-format says; a file that cannot be written is one line and exit 1 before anything starts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { fleet, get, requireEngine, up } from './harness.js';

function tempFile(t: { teardown(fn: () => unknown): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-access-e2e-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'access.log');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('an access log that cannot be written is refused before anything starts', async (t) => {
  const result = await fleet(['up', '--name', 'nope-access', '--access-log', '/nonexistent-dir/access.log']);
  t.equal(result.code, 1);
  t.equal(result.stderr, 'Error: cannot write the access log /nonexistent-dir/access.log: ENOENT\n');
});

for (const format of ['text', 'json'] as const) {
  t.test(`every request through the balancer is a line of the access log (${format})`, async (t) => {
    if (!(await requireEngine(t))) return;
    const file = tempFile(t);
    const daemon = await up(t, `acc${format[0]}`, 2, ['--access-log', file, '--log-format', format, '--workers', '2']);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => get('127.0.0.1', daemon.port, `/?r=${i}`)));
    t.same(
      answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body.trim()}`),
      [],
      'every request is answered',
    );
    await sleep(300);
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    t.equal(lines.length, 20, 'one line per request, from whichever worker served it');
    const members = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const line = lines.find((l) => (format === 'json' ? (JSON.parse(l) as { path: string }).path === `/?r=${i}` : l.includes(` GET /?r=${i} `)));
      t.ok(line, `request ${i} is logged`);
      if (!line) continue;
      if (format === 'json') {
        const record = JSON.parse(line) as { status: number; member: string; client: string; bytes: number };
        t.match(record, { status: 200, client: '127.0.0.1', event: 'http.access' });
        t.ok(record.bytes > 0);
        members.add(record.member);
      } else {
        const fields = line.split(' ');
        t.match(fields, [/Z$/, '127.0.0.1', 'GET', `/?r=${i}`, '200', /^\d+$/, /^\d+(\.\d+)?$/, /^fleet-/]);
        members.add(fields[7]);
      }
    }
    t.equal(members.size, 2, 'both members appear');
    if (format === 'json') {
      // stdout's one line aside, the daemon's output is log records, its workers' too: no bare
      // line from Node (http-proxy's url.parse() once drew a deprecation warning per worker).
      const bare = daemon
        .logs()
        .split('\n')
        .filter((line) => line && !line.startsWith('fleet "'))
        .filter((line) => {
          try {
            return typeof JSON.parse(line) !== 'object';
          } catch {
            return true;
          }
        });
      t.same(bare.slice(0, 3), [], 'every line of the log is a JSON record');
    }
  });
}
