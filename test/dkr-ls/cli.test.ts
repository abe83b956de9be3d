// The real CLI in-process against a fake engine: exact output, flags, logs and errors.
import t from 'tap';
import type { ImageSummary } from '../../src/dkr-ls/images/rows.js';
import { DAY, dkrLs, fakeEngine } from './helpers.js';

const now = Date.now();
const ago = (days: number) => Math.floor((now - days * DAY) / 1000);
// The brief's example listing, with sizes that print as it shows them.
const IMAGES: ImageSummary[] = [
  { Id: 'sha256:7e4d58f0e5f3' + 'a'.repeat(52), Created: ago(15), Size: 133_000_000, RepoTags: ['nginx:latest'], RepoDigests: [] },
  { Id: 'sha256:6f715d38cfe0' + 'b'.repeat(52), Created: ago(44), Size: 22_100_000, RepoTags: ['nginx:alpine'], RepoDigests: [] },
  { Id: 'sha256:9c31a29b3f30' + 'c'.repeat(52), Created: ago(65), Size: 322_000_000, RepoTags: ['mysql/mysql-server:5.7'], RepoDigests: [] },
  { Id: 'sha256:534ebd31f754' + 'd'.repeat(52), Created: ago(95), Size: 540_000_000, RepoTags: ['datadog/agent:7'], RepoDigests: [] },
  { Id: 'sha256:4660474f5c5b' + 'e'.repeat(52), Created: ago(97), Size: 902_000_000, RepoTags: ['123456789000.dkr.ecr.us-east-1.amazonaws.com/webapp:20200609-1018'], RepoDigests: null },
  { Id: 'sha256:39491bbd3b9a' + 'f'.repeat(52), Created: ago(100), Size: 317_000_000, RepoTags: ['awscli:1'], RepoDigests: [] },
  { Id: 'sha256:108d75da320f' + '0'.repeat(52), Created: ago(125), Size: 69_200_000, RepoTags: ['debian:buster-20200514-slim'], RepoDigests: [] },
  { Id: 'sha256:c0dc2538b9fa' + '1'.repeat(52), Created: ago(130), Size: 661_000_000, RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] },
];

const HEADER = 'REPOSITORY                                            TAG                    IMAGE ID       CREATED        SIZE\n';
const ROW = {
  nginxLatest: 'nginx                                                 latest                 7e4d58f0e5f3   2 weeks ago    133MB\n',
  nginxAlpine: 'nginx                                                 alpine                 6f715d38cfe0   6 weeks ago    22.1MB\n',
  mysql: 'mysql/mysql-server                                    5.7                    9c31a29b3f30   2 months ago   322MB\n',
  datadog: 'datadog/agent                                         7                      534ebd31f754   3 months ago   540MB\n',
  webapp: '123456789000.dkr.ecr.us-east-1.amazonaws.com/webapp   20200609-1018          4660474f5c5b   3 months ago   902MB\n',
  awscli: 'awscli                                                1                      39491bbd3b9a   3 months ago   317MB\n',
  debian: 'debian                                                buster-20200514-slim   108d75da320f   4 months ago   69.2MB\n',
  none: '<none>                                                <none>                 c0dc2538b9fa   4 months ago   661MB\n',
};

t.test("the brief's examples print what docker would", async (t) => {
  const { host } = await fakeEngine(t, IMAGES);
  const env = { DOCKER_HOST: host };

  const repos = await dkrLs(['repos'], env);
  t.same(repos, { code: 0, stdout: 'REPOSITORY\nnginx\nmysql/mysql-server\ndatadog/agent\n123456789000.dkr.ecr.us-east-1.amazonaws.com/webapp\nawscli\ndebian\n<none>\n', stderr: '' }, 'dkr-ls repos');

  const tags = await dkrLs(['tags'], env);
  t.same(tags, { code: 0, stdout: HEADER + Object.values(ROW).join(''), stderr: '' }, 'dkr-ls tags');

  const prefixed = await dkrLs(['tags', '--prefix', 'nginx', '--prefix', 'debian'], env);
  t.equal(prefixed.stdout, expectTable([ROW.nginxLatest, ROW.nginxAlpine, ROW.debian]), 'dkr-ls tags --prefix nginx --prefix debian');

  const summed = await dkrLs(['tags', '--maxTags', '1', '--prefix', 'nginx', '--prefix', 'debian', '--sum=true'], env);
  t.equal(
    summed.stdout,
    'REPOSITORY   TAG                    IMAGE ID       CREATED        SIZE\n' +
      'nginx        latest                 7e4d58f0e5f3   2 weeks ago    133MB\n' +
      'debian       buster-20200514-slim   108d75da320f   4 months ago   69.2MB\n' +
      '                                                   TOTAL          202.2MB\n',
    'dkr-ls tags --maxTags 1 --prefix nginx --prefix debian --sum=true',
  );

  const old = await dkrLs(['tags', '--minAge', '20', '--minSize', '100MB'], env);
  t.same(
    old.stdout.split('\n').slice(1, -1).map((line) => line.split(/\s{2,}/)[0]),
    ['mysql/mysql-server', 'datadog/agent', '123456789000.dkr.ecr.us-east-1.amazonaws.com/webapp', 'awscli', '<none>'],
    'dkr-ls tags --minAge 20 --minSize 100MB',
  );

  const unknown = await dkrLs(['repos', '--maxTags', '3'], env);
  t.equal(unknown.code, 2, 'dkr-ls repos --maxTags 3 fails');
  t.equal(unknown.stdout, '', 'and prints nothing on stdout');
  t.match(unknown.stderr, /^Error: unknown flag: --maxTags\nUsage:\n {2}dkr-ls repos \[flags\]\n/, 'it names the flag, then the usage');
});

// Re-aligns rows written for the full table to the widths a smaller table gets.
function expectTable(rows: string[]): string {
  const cells = [HEADER, ...rows].map((line) => line.trimEnd().split(/ {3,}/));
  const widths = [0, 1, 2, 3].map((c) => Math.max(10, ...cells.map((r) => r[c].length + 3)));
  return cells.map((r) => r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]) : cell)).join('') + '\n').join('');
}

t.test('every spelling of the flags works', async (t) => {
  const { host } = await fakeEngine(t, IMAGES);
  const env = { DOCKER_HOST: host };
  const rowsOf = async (args: string[]) => {
    const result = await dkrLs(args, env);
    t.equal(result.code, 0, `${args.join(' ')} succeeds`);
    return result.stdout.split('\n').filter(Boolean).length - 1;
  };
  const cases: [string[], number][] = [
    [['tags', '--maxTags=1'], 7],
    [['tags', '--max-tags', '1'], 7],
    [['tags', '--minAge=100'], 3],
    [['tags', '--min-age=100'], 3],
    [['tags', '--minSize=500MB'], 3],
    [['tags', '--minSize', '0.5GB'], 3],
    [['tags', '--prefix=nginx'], 2],
    [['tags', '--sum'], 9],
    [['tags', '--sum=false'], 8],
    [['tags', '--sum=FALSE'], 8],
    [['tags', '--no-sum'], 8],
    [['--log-level', 'error', 'tags'], 8],
    [['--log-level=Error', 'tags'], 8],
    [['tags', '--log-level', 'ERROR'], 8],
  ];
  for (const [args, rows] of cases) t.equal(await rowsOf(args), rows, `${args.join(' ')} lists ${rows} rows`);
});

t.test('bad input: one line naming the flag, nothing on stdout, non-zero exit', async (t) => {
  const { host } = await fakeEngine(t, IMAGES);
  const env = { DOCKER_HOST: host };
  const cases: [string[], string][] = [
    [['tags', '--minSize', 'banana'], 'Error: invalid value for --minSize: expected a size such as 100MB, 1.5GB, 512KiB or a byte count (got "banana")\n'],
    [['tags', '--minAge', 'soon'], 'Error: invalid value for --minAge: expected a whole number (got "soon")\n'],
    [['tags', '--minAge', '-1'], 'Error: invalid value for --minAge: expected at least 0 (got -1)\n'],
    [['tags', '--maxTags', '-2'], 'Error: invalid value for --maxTags: expected at least 1 (got -2)\n'],
    [['tags', '--maxTags=0'], 'Error: invalid value for --maxTags: expected at least 1 (got 0)\n'],
    [['tags', '--maxTags', '1.5'], 'Error: invalid value for --maxTags: expected a whole number (got "1.5")\n'],
    [['--log-level', 'LOUD', 'tags'], 'Error: invalid value for --log-level: expected one of DEBUG, INFO, WARNING, ERROR (got "LOUD")\n'],
    [['tags', '--log-level=LOUD'], 'Error: invalid value for --log-level: expected one of DEBUG, INFO, WARNING, ERROR (got "LOUD")\n'],
    [['tags', '--sum=maybe'], 'Error: invalid value for --sum: expected true or false (got "maybe")\n'],
    [['tags', '--maxTags'], 'Error: flag needs an argument: --maxTags\n'],
    [['images'], 'Error: unknown command "images" for "dkr-ls"\nRun "dkr-ls --help" for usage.\n'],
  ];
  for (const [args, stderr] of cases) {
    const result = await dkrLs(args, env);
    t.same(result, { code: 2, stdout: '', stderr }, args.join(' '));
  }
  for (const [args, flag] of [
    [['repos', '--maxTags', '3'], '--maxTags'],
    [['repos', '--maxTags=3'], '--maxTags'],
    [['repos', '--sum'], '--sum'],
    [['repos', '--sum=true'], '--sum'],
    [['tags', '--bogus'], '--bogus'],
    [['tags', '--maxtags', '1'], '--maxtags'],
  ] as const) {
    const result = await dkrLs([...args], env);
    t.equal(result.code, 2, `${args.join(' ')} fails`);
    t.equal(result.stdout, '', 'nothing on stdout');
    t.equal(result.stderr.split('\n')[0], `Error: unknown flag: ${flag}`, `the first line names ${flag}`);
    t.match(result.stderr, new RegExp(`Usage:\\n  dkr-ls ${args[0]} \\[flags\\]\\n\\nFlags:\\n`), "then the command's usage");
  }
});

t.test('--json prints raw values, one object per row', async (t) => {
  const { host } = await fakeEngine(t, [
    { Id: 'sha256:' + 'a'.repeat(64), Created: 1_600_000_000, Size: 1234, RepoTags: ['x:1', 'x:2'], RepoDigests: ['x@sha256:' + 'b'.repeat(64)] },
  ]);
  const result = await dkrLs(['tags', '--json', '--sum'], { DOCKER_HOST: host });
  t.equal(result.code, 0);
  t.same(
    result.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown),
    [
      { repository: 'x', tag: '1', id: 'sha256:' + 'a'.repeat(64), created: 1_600_000_000, size: 1234, tags: ['x:1', 'x:2'], digests: ['x@sha256:' + 'b'.repeat(64)] },
      { repository: 'x', tag: '2', id: 'sha256:' + 'a'.repeat(64), created: 1_600_000_000, size: 1234, tags: ['x:1', 'x:2'], digests: ['x@sha256:' + 'b'.repeat(64)] },
      { total: 1234, images: 1 },
    ],
  );
  const repos = await dkrLs(['repos', '--json'], { DOCKER_HOST: host });
  t.equal(repos.stdout, '{"repository":"x"}\n');
});

t.test('logs: DEBUG says what was asked and what each filter removed; ERROR keeps stderr empty', async (t) => {
  const { host, requests } = await fakeEngine(t, IMAGES);
  const debug = await dkrLs(['--log-level', 'debug', 'tags', '--prefix', 'nginx', '--maxTags', '1'], { DOCKER_HOST: host });
  t.equal(debug.code, 0);
  t.match(debug.stderr, / DEBUG engine request method=GET path=\/images\/json address=unix:\/\/\S+docker\.sock\n/);
  t.match(debug.stderr, / DEBUG engine response images=8 /);
  t.match(debug.stderr, / DEBUG filter filter=prefix value=nginx removed=6 kept=2 refs=mysql\/mysql-server:5\.7,/);
  t.match(debug.stderr, / DEBUG filter filter=maxTags value=1 removed=1 kept=1 refs=nginx:alpine\n/);
  t.notMatch(debug.stdout, /DEBUG/, 'logs never reach stdout');
  t.same(requests, ['GET /images/json']);
  const quiet = await dkrLs(['tags', '--log-level', 'ERROR'], { DOCKER_HOST: host });
  t.equal(quiet.stderr, '', 'nothing on stderr at ERROR');
  const normal = await dkrLs(['tags'], { DOCKER_HOST: host });
  t.equal(normal.stderr, '', 'nothing on stderr by default (WARNING)');
});

t.test('an engine error is one line naming the address', async (t) => {
  const { host } = await fakeEngine(t, () => ({ status: 500, body: '{"message":"layer store is sad"}' }));
  const result = await dkrLs(['tags'], { DOCKER_HOST: host });
  t.same(result, { code: 1, stdout: '', stderr: `Error: the Docker engine at ${host} answered 500 to GET /images/json: layer store is sad\n` });
  const bad = await dkrLs(['tags'], { DOCKER_HOST: 'ssh://me@host' });
  t.same(bad, { code: 1, stdout: '', stderr: 'Error: DOCKER_HOST=ssh://me@host is not supported: use unix:///path/to/docker.sock or tcp://host:port\n' });
});

t.test('an empty engine prints the header only', async (t) => {
  const { host } = await fakeEngine(t, []);
  t.equal((await dkrLs(['tags'], { DOCKER_HOST: host })).stdout, 'REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n');
  t.equal((await dkrLs(['repos'], { DOCKER_HOST: host })).stdout, 'REPOSITORY\n');
});

t.test('help goes to stdout and exits 0', async (t) => {
  const top = await dkrLs([], {});
  t.equal(top.code, 0);
  t.match(top.stdout, /dkr-ls tags/);
  const help = await dkrLs(['tags', '--help'], {});
  t.equal(help.code, 0);
  t.match(help.stdout, /--maxTags/);
  t.equal(help.stderr, '');
});
