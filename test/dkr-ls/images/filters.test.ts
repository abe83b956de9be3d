import t from 'tap';
import { applyFilters, byMinAge, byMinSize, byPrefix, maxTagsPerRepository, repositories, totalSize } from '../../../src/dkr-ls/images/filters.js';
import type { ImageRow } from '../../../src/dkr-ls/images/rows.js';

const NOW = Date.UTC(2020, 9, 1);
const DAY = 24 * 3600;

function row(repository: string, tag: string, id: string, ageDays: number, size: number): ImageRow {
  return { repository, tag, id: `sha256:${id}`, created: NOW / 1000 - ageDays * DAY, size, repoTags: [], repoDigests: [] };
}

// The brief's listing, newest first, plus a second nginx tag on the same image.
const ROWS = [
  row('nginx', 'latest', 'n1', 14, 133_000_000),
  row('nginx', 'stable', 'n1', 14, 133_000_000),
  row('nginx', 'alpine', 'n2', 42, 22_100_000),
  row('mysql/mysql-server', '5.7', 'm', 60, 322_000_000),
  row('datadog/agent', '7', 'd', 90, 540_000_000),
  row('nginx-proxy', '1', 'p', 95, 50_000_000),
  row('debian', 'buster-20200514-slim', 'b', 120, 69_200_000),
  row('<none>', '<none>', 'u', 125, 661_000_000),
];
const refs = (rows: ImageRow[]) => rows.map((r) => `${r.repository}:${r.tag}`);

t.test('--prefix is a literal prefix of the repository, repeatable', async (t) => {
  const cases: [string[], string[]][] = [
    [[], refs(ROWS)],
    [['nginx'], ['nginx:latest', 'nginx:stable', 'nginx:alpine', 'nginx-proxy:1']],
    [['nginx', 'debian'], ['nginx:latest', 'nginx:stable', 'nginx:alpine', 'nginx-proxy:1', 'debian:buster-20200514-slim']],
    [['agent'], []],
    [['mysql/'], ['mysql/mysql-server:5.7']],
    [['<none>'], ['<none>:<none>']],
    [['.*'], []],
  ];
  for (const [prefixes, want] of cases) t.same(refs(byPrefix(ROWS, prefixes)), want, `--prefix ${prefixes.join(' --prefix ')}`);
});

t.test('--minAge keeps images created more than N×24 hours ago', async (t) => {
  const cases: [number, number][] = [
    [0, 8],
    [14, 6], // exactly 14 days old is not more than 14 days
    [13, 8],
    [90, 3],
    [125, 0],
  ];
  for (const [days, want] of cases) t.equal(byMinAge(ROWS, days, NOW).length, want, `--minAge ${days} keeps ${want}`);
  const edge = [row('x', '1', 'x', 0, 1)];
  edge[0].created = NOW / 1000 - DAY - 1;
  t.equal(byMinAge(edge, 1, NOW).length, 1, 'one second past the day counts');
});

t.test('--minSize keeps images strictly larger', async (t) => {
  const cases: [number, number][] = [
    [0, 8],
    [100_000_000, 5],
    [133_000_000, 3],
    [132_999_999, 5],
    [1e12, 0],
  ];
  for (const [bytes, want] of cases) t.equal(byMinSize(ROWS, bytes).length, want, `--minSize ${bytes} keeps ${want}`);
});

t.test("--maxTags keeps each repository's newest N tags", async (t) => {
  t.same(refs(maxTagsPerRepository(ROWS, 1)), ['nginx:latest', 'mysql/mysql-server:5.7', 'datadog/agent:7', 'nginx-proxy:1', 'debian:buster-20200514-slim', '<none>:<none>']);
  t.same(refs(maxTagsPerRepository(ROWS, 2)).slice(0, 3), ['nginx:latest', 'nginx:stable', 'mysql/mysql-server:5.7']);
  t.equal(maxTagsPerRepository(ROWS, 3).length, ROWS.length);
});

t.test('filters apply in order --prefix, --minAge, --minSize, then --maxTags', async (t) => {
  const cases: [Parameters<typeof applyFilters>[1], string[], string[]][] = [
    [{ prefixes: ['nginx', 'debian'], maxTags: 1 }, ['nginx:latest', 'nginx-proxy:1', 'debian:buster-20200514-slim'], ['prefix', 'maxTags']],
    [{ minAge: 20, minSize: 100_000_000 }, ['mysql/mysql-server:5.7', 'datadog/agent:7', '<none>:<none>'], ['minAge', 'minSize']],
    // --maxTags counts after the other filters: nginx:alpine is nginx's newest tag older than 20 days.
    [{ prefixes: ['nginx'], minAge: 20, maxTags: 1 }, ['nginx:alpine', 'nginx-proxy:1'], ['prefix', 'minAge', 'maxTags']],
    [{}, refs(ROWS), []],
  ];
  for (const [options, want, steps] of cases) {
    const result = applyFilters(ROWS, options, NOW);
    t.same(refs(result.rows), want, JSON.stringify(options));
    t.same(result.steps.map((s) => s.filter), steps, 'each set filter is a step');
  }
  const { steps } = applyFilters(ROWS, { prefixes: ['debian'] }, NOW);
  t.equal(steps[0].removed.length, 7, 'a step says what it removed');
  t.equal(steps[0].kept, 1);
});

t.test('TOTAL counts each image once however many tags it has', async (t) => {
  t.same(totalSize(ROWS.slice(0, 2)), { bytes: 133_000_000, images: 1 });
  t.same(totalSize(ROWS.slice(0, 3)), { bytes: 155_100_000, images: 2 });
  t.same(totalSize([]), { bytes: 0, images: 0 });
});

t.test('repos lists each repository once, in order of first appearance', async (t) => {
  t.same(repositories(ROWS), ['nginx', 'mysql/mysql-server', 'datadog/agent', 'nginx-proxy', 'debian', '<none>']);
});
