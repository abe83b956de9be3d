import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectionBudget, openFilesLimit } from '../../../src/fleet/data/open-files.js';

t.test('the open-files limit is read from /proc', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-limits-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true }));
  const file = path.join(dir, 'limits');
  fs.writeFileSync(file, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n');
  t.same(openFilesLimit(file), { soft: 1024, hard: 524288 });
  t.equal(openFilesLimit(path.join(dir, 'missing')), undefined, 'undefined where /proc does not say');
  t.ok(openFilesLimit()?.soft, 'this process has one');
});

t.test('the connection budget leaves room for the daemon and two descriptors per connection', async (t) => {
  const cases: [number, { soft: number; hard: number } | undefined, number][] = [
    [10_000, { soft: 1_048_576, hard: 1_048_576 }, 10_000],
    [10_000, { soft: 20_000, hard: 20_000 }, 9_488],
    [10_000, { soft: 1_024, hard: 4_096 }, 64],
    [100, { soft: 1_048_576, hard: 1_048_576 }, 100],
    [10_000, undefined, 10_000],
  ];
  for (const [asked, limit, want] of cases) t.equal(connectionBudget(asked, limit), want, `${asked} asked, soft limit ${limit?.soft ?? 'unknown'}`);
});
