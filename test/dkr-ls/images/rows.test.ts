// An image list as the rows `docker images` prints: one per repository and tag, digest-only
// repositories and dangling images as docker/cli spells them, in the engine's order.
import t from 'tap';
import { type ImageSummary, imageRows, toRows } from '../../../src/dkr-ls/images/rows.js';

const image = { Id: 'sha256:0123456789abcdef', Created: 1, Size: 2 };

t.test('an image gives one row per tag; untagged in all three spellings gives <none> <none>', async (t) => {
  const cases: [string, Partial<ImageSummary>, string[]][] = [
    ['tags grouped by repository, first appearance', { RepoTags: ['a:1', 'a:2', 'b:1'] }, ['a 1', 'a 2', 'b 1']],
    ['a repository seen again joins its group', { RepoTags: ['a:1', 'b:1', 'a:2'] }, ['a 1', 'a 2', 'b 1']],
    ['untagged as []', { RepoTags: [], RepoDigests: [] }, ['<none> <none>']],
    ['untagged as null', { RepoTags: null, RepoDigests: null }, ['<none> <none>']],
    ['untagged as missing fields', {}, ['<none> <none>']],
    ['untagged as ["<none>:<none>"]', { RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] }, ['<none> <none>']],
    ['["<none>:<none>"] without digests', { RepoTags: ['<none>:<none>'], RepoDigests: null }, ['<none> <none>']],
    ['digest only', { RepoTags: null, RepoDigests: ['nginx@sha256:aa'] }, ['nginx <none>']],
    ['a digest row only for repositories without tags, once each', { RepoTags: ['nginx:1'], RepoDigests: ['nginx@sha256:aa', 'web@sha256:bb', 'web@sha256:cc'] }, ['nginx 1', 'web <none>']],
    ['a tag that does not parse gives no row', { RepoTags: ['nginx', 'a:1'] }, ['a 1']],
    ['a digest that does not parse gives no row', { RepoTags: null, RepoDigests: ['garbage'] }, []],
  ];
  for (const [what, summary, want] of cases) {
    t.same(
      imageRows({ ...image, ...summary }).map((r) => `${r.repository} ${r.tag}`),
      want,
      what,
    );
  }
});

t.test('rows keep the engine order and carry raw values', async (t) => {
  const rows = toRows([
    { Id: 'sha256:b', Created: 20, Size: 5, RepoTags: ['x:1'] },
    { Id: 'sha256:a', Created: 10, Size: 7, RepoTags: null },
  ]);
  t.same(rows, [
    { id: 'sha256:b', created: 20, size: 5, repoTags: ['x:1'], repoDigests: [], repository: 'x', tag: '1' },
    { id: 'sha256:a', created: 10, size: 7, repoTags: [], repoDigests: [], repository: '<none>', tag: '<none>' },
  ]);
});

t.test("every row of an image carries the image's own references, untagged ones left out", async (t) => {
  const rows = imageRows({ ...image, RepoTags: ['a:1', '<none>:<none>', 'b:2'], RepoDigests: ['a@sha256:aa', '<none>@<none>'] });
  t.equal(rows.length, 2);
  for (const row of rows) {
    t.same(row.repoTags, ['a:1', 'b:2'], `${row.repository}: the tags`);
    t.same(row.repoDigests, ['a@sha256:aa'], `${row.repository}: the digests`);
  }
  t.same(toRows([]), [], 'no images, no rows');
});
