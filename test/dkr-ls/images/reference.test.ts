import t from 'tap';
import { digestRepository, familiarName, splitRepoTag } from '../../../src/dkr-ls/images/reference.js';

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
