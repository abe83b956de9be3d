// The fleet's connection limit, shared out between its workers within the open-files limit.
import t from 'tap';
import { DEFAULT_MAX_CONNECTIONS, RESERVED_FILES } from '../../../src/fleet/config.js';
import { shareConnections } from '../../../src/fleet/control/connection-limits.js';

t.test('each worker takes an even share, within its descriptors', async (t) => {
  const plenty = { soft: 1_000_000, hard: 1_000_000 };
  const tight = { soft: RESERVED_FILES + 2 * 500, hard: 4096 };
  const cases: { what: string; asked: number | undefined; workers: number; files: { soft: number; hard: number } | undefined; want: { perWorker: number; total: number; short: boolean } }[] = [
    { what: 'unset: the default, shared', asked: undefined, workers: 2, files: plenty, want: { perWorker: DEFAULT_MAX_CONNECTIONS / 2, total: DEFAULT_MAX_CONNECTIONS, short: false } },
    { what: 'an odd share rounds up', asked: 301, workers: 2, files: plenty, want: { perWorker: 151, total: 302, short: false } },
    { what: 'never below 64 a worker', asked: 9, workers: 2, files: plenty, want: { perWorker: 64, total: 128, short: false } },
    { what: 'unknown limit: as asked', asked: 300, workers: 3, files: undefined, want: { perWorker: 100, total: 300, short: false } },
    { what: 'unset and the limit is lower: what it allows, no warning', asked: undefined, workers: 2, files: tight, want: { perWorker: 500, total: 1000, short: false } },
    { what: 'asked for more than the limit allows: short', asked: 4000, workers: 2, files: tight, want: { perWorker: 500, total: 1000, short: true } },
  ];
  for (const c of cases) t.same(shareConnections(c.asked, c.workers, c.files), c.want, c.what);
});
