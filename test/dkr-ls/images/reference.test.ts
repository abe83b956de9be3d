import t from 'tap';
import { digestRepository, familiarName, splitRepoTag } from '../../../src/dkr-ls/images/reference.js';
import { imageRows, toRows } from '../../../src/dkr-ls/images/rows.js';

t.test('repository and tag split at the last colon after the last slash', async (t) => {
  const cases: [string, { repository: string; tag: string } | undefined][] = [
    ['nginx:latest', { repository: 'nginx', tag: 'latest' }],
    ['mysql/mysql-server:5.7', { repository: 'mysql/mysql-server', tag: '5.7' }],
    ['localhost:5000/app:1.0', { repository: 'localhost:5000/app', tag: '1.0' }],
    ['localhost:5000/app', undefined],
    ['123456789000.dkr.ecr.us-east-1.amazonaws.com/webapp:20200609-1018', { repository: '123456789000.dkr.ecr.us-east-1.amazonaws.com/webapp', tag: '20200609-1018' }],
    ['docker.io/library/nginx:alpine', { repository: 'nginx', tag: 'alpine' }],
    ['docker.io/datadog/agent:7', { repository: 'datadog/agent', tag: '7' }],
    ['<none>:<none>', undefined],
    ['nginx', undefined],
    ['nginx:', undefined],
  ];
  for (const [ref, want] of cases) t.same(splitRepoTag(ref), want, ref);
});

t.test('names print in the short form, as docker does', async (t) => {
  t.equal(familiarName('docker.io/library/debian'), 'debian');
  t.equal(familiarName('docker.io/debian'), 'debian');
  t.equal(familiarName('docker.io/library/a/b'), 'library/a/b');
  t.equal(familiarName('quay.io/x/y'), 'quay.io/x/y');
  t.equal(digestRepository('nginx@sha256:abc'), 'nginx');
  t.equal(digestRepository('<none>@<none>'), undefined);
});

const image = { Id: 'sha256:0123456789abcdef', Created: 1, Size: 2 };

t.test('an image gives one row per tag; untagged in all three spellings gives <none> <none>', async (t) => {
  const rows = (summary: Parameters<typeof imageRows>[0]) => imageRows(summary).map((r) => `${r.repository} ${r.tag}`);
  t.same(rows({ ...image, RepoTags: ['a:1', 'a:2', 'b:1'] }), ['a 1', 'a 2', 'b 1'], 'tags grouped by repository, first appearance');
  t.same(rows({ ...image, RepoTags: ['a:1', 'b:1', 'a:2'] }), ['a 1', 'a 2', 'b 1']);
  t.same(rows({ ...image, RepoTags: [], RepoDigests: [] }), ['<none> <none>'], '[]');
  t.same(rows({ ...image, RepoTags: null, RepoDigests: null }), ['<none> <none>'], 'null');
  t.same(rows({ ...image }), ['<none> <none>'], 'missing');
  t.same(rows({ ...image, RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] }), ['<none> <none>'], '["<none>:<none>"]');
  t.same(rows({ ...image, RepoTags: ['<none>:<none>'], RepoDigests: null }), ['<none> <none>'], '["<none>:<none>"] without digests');
  t.same(rows({ ...image, RepoTags: null, RepoDigests: ['nginx@sha256:aa'] }), ['nginx <none>'], 'digest only');
  t.same(rows({ ...image, RepoTags: ['nginx:1'], RepoDigests: ['nginx@sha256:aa', 'web@sha256:bb', 'web@sha256:cc'] }), ['nginx 1', 'web <none>'], 'a digest row only for repositories without tags, once each');
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
