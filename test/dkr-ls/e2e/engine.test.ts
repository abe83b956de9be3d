// dkr-ls against the real engine: images made here with known ages and sizes (docker load,
// no registry), compared with `docker images` for the same engine row for row. Everything
// made carries a label unique to this run and is removed in teardown, registered first.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { resolveEngineAddress } from '../../../src/engine/address.js';
import { loadImages } from '../fixtures/image-archive.mjs';
import { DAY, ROOT, dkrLs, docker, removeImagesAtEnd, requireEngine } from '../helpers.js';

const exec = promisify(execFile);
const RUN = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
const LABEL = `io.fleet.dkr-ls.test=${RUN}`;
const P = `dkrls-t${RUN}`;
const BIN = path.join(ROOT, 'bin', 'dkr-ls');
const env = { ...process.env };

if (await requireEngine(t)) {
  removeImagesAtEnd(t, LABEL);

  // Ages sit mid-bucket so the seconds between the two listings can't change a word.
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms);
  const labels = { 'io.fleet.dkr-ls.test': RUN };
  const ids = await loadImages([
    { tags: [`${P}-longer-name/epsilon:1`], created: ago(5 * 3600_000), layers: [0], labels },
    { tags: [`${P}/eta:1`], created: ago(30 * 60_000 + 10_000), layers: [1000], labels },
    { tags: [`${P}/zeta:1`], created: ago(3 * DAY + 5 * 3600_000), layers: [999], labels },
    { tags: [`${P}/alpha:1`, `${P}/alpha:2`], created: ago(17 * DAY), layers: [22_100_000], labels },
    { tags: [`${P}/beta:latest`], created: ago(45 * DAY), layers: [999_500], labels },
    { tags: [`${P}/gamma:v1.0`], created: ago(100 * DAY), layers: [1_125_000], labels },
    { tags: [], created: ago(200 * DAY), layers: [1_135_000], labels },
    { tags: [`${P}/delta:x`], created: ago(3 * 365 * DAY + 60 * DAY), layers: [100_500], labels },
  ]);
  const untagged = ids[6].slice('sha256:'.length, 'sha256:'.length + 12);

  t.test('tags prints exactly what docker images prints for the same images', async (t) => {
    const want = await docker(['images', '--filter', `label=${LABEL}`, '--filter', 'dangling=false']);
    const got = await dkrLs(['tags', '--prefix', P], env);
    t.equal(got.code, 0);
    t.equal(got.stderr, '');
    t.equal(got.stdout, want, 'byte for byte, alignment included');
    t.equal(got.stdout.split('\n').length - 2, 8, 'one row per tag');
    t.match(got.stdout, /1e\+03kB\n/, "docker's exponent form");
    t.match(got.stdout, / 100kB\n/, 'ties round to even');
    t.match(got.stdout, / 1\.12MB\n/);
  });

  t.test('the untagged image gets the same <none> row as in docker images', async (t) => {
    const cells = (table: string) =>
      table
        .split('\n')
        .map((line) => line.split(/ {3,}/))
        .find((row) => row[2] === untagged);
    const want = cells(await docker(['images']));
    const got = cells((await dkrLs(['tags'], env)).stdout);
    t.ok(want, 'docker lists it');
    t.same(got, want, 'dkr-ls lists it alike');
    t.same(got?.slice(0, 2), ['<none>', '<none>']);
  });

  t.test('repos lists the same repositories in the same order', async (t) => {
    const listed = (await docker(['images', '--filter', `label=${LABEL}`, '--filter', 'dangling=false', '--format', '{{.Repository}}'])).split('\n').filter(Boolean);
    const want = ['REPOSITORY', ...new Set(listed)].join('\n') + '\n';
    t.equal((await dkrLs(['repos', '--prefix', P], env)).stdout, want);
  });

  t.test('filters on the real engine', async (t) => {
    const names = async (args: string[]) =>
      (await dkrLs(['tags', ...args], env)).stdout
        .split('\n')
        .slice(1, -1)
        .map((line) => line.split(/ {3,}/).slice(0, 2).join(':').slice(P.length));
    t.same(await names(['--prefix', P, '--minAge', '20', '--minSize', '1MB']), ['/gamma:v1.0']);
    t.same(await names(['--prefix', P, '--minAge', '40']), ['/beta:latest', '/gamma:v1.0', '/delta:x']);
    t.same(await names(['--prefix', `${P}/alpha`, '--prefix', `${P}/zeta`, '--maxTags', '1']), ['/zeta:1', '/alpha:1'], 'either prefix, then each repository keeps its newest tag');
    const summed = await dkrLs(['tags', '--prefix', `${P}/`, '--sum'], env);
    t.match(summed.stdout, /\n {3,}TOTAL {3,}24\.33MB\n$/, 'alpha counts once: 1000 + 999 + 22.1M + 999.5k + 1.125M + 100.5k bytes');
  });

  t.test('--json carries the engine raw values', async (t) => {
    const lines = (await dkrLs(['tags', '--json', '--prefix', `${P}/gamma`], env)).stdout.trim().split('\n');
    t.equal(lines.length, 1);
    const row = JSON.parse(lines[0]) as { id: string; size: number; created: number; tags: string[] };
    const inspected = JSON.parse(await docker(['image', 'inspect', ids[5]])) as { Id: string; Size: number; Created: string }[];
    t.equal(row.id, inspected[0].Id);
    t.equal(row.size, 1_125_000);
    t.equal(row.created, Math.floor(Date.parse(inspected[0].Created) / 1000));
    t.same(row.tags, [`${P}/gamma:v1.0`]);
  });

  t.test('DOCKER_HOST=tcp:// reaches the same engine', async (t) => {
    // A tcp forwarder to the engine this run uses, so the tcp path is tested without
    // exposing the engine itself on a port.
    const target = resolveEngineAddress(env);
    const server = net.createServer((client) => {
      const upstream = target.kind === 'unix' ? net.connect(target.socketPath) : net.connect(target.port, target.host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as net.AddressInfo;
    const viaTcp = await dkrLs(['tags', '--prefix', P], { ...env, DOCKER_HOST: `tcp://127.0.0.1:${port}` });
    const direct = await dkrLs(['tags', '--prefix', P], env);
    t.equal(viaTcp.code, 0);
    t.equal(viaTcp.stdout, direct.stdout);
  });

  t.test('bin/dkr-ls as a process', async (t) => {
    t.ok(fs.existsSync(path.join(ROOT, 'dist', 'dkr-ls.cjs')), 'the bundle is built (npm test builds it)');
    const { stdout, stderr } = await exec(BIN, ['tags', '--prefix', P], { env });
    t.equal(stdout, (await dkrLs(['tags', '--prefix', P], env)).stdout);
    t.equal(stderr, '');
  });
}

t.test('an unreachable engine: one line naming the address, within seconds, exit 1', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const cases: [string, string][] = [
    ['unix:///nonexistent.sock', 'Error: cannot reach the Docker engine at unix:///nonexistent.sock: connect ENOENT /nonexistent.sock\n'],
    [`tcp://127.0.0.1:${port}`, `Error: cannot reach the Docker engine at tcp://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`],
  ];
  for (const [host, stderr] of cases) {
    t.same(await dkrLs(['tags'], { DOCKER_HOST: host }), { code: 1, stdout: '', stderr }, `in-process, ${host}`);
    if (!fs.existsSync(path.join(ROOT, 'dist', 'dkr-ls.cjs'))) continue;
    const started = Date.now();
    const result = await exec(BIN, ['repos'], { env: { ...process.env, DOCKER_HOST: host } }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
    t.same(result, { code: 1, stdout: '', stderr }, `bin/dkr-ls, ${host}`);
    t.ok(Date.now() - started < 5000, 'within a few seconds');
  }
});

t.test('bin/dkr-ls: an unknown flag fails before asking the engine', async (t) => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'dkr-ls.cjs'))) {
    t.fail('dist/dkr-ls.cjs is missing: run npm run build');
    return;
  }
  const result = await exec(BIN, ['repos', '--maxTags', '3'], { env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' } }).then(
    () => ({ code: 0, stdout: '', stderr: '' }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  t.equal(result.code, 2);
  t.equal(result.stdout, '');
  t.match(result.stderr, /^Error: unknown flag: --maxTags\nUsage:\n {2}dkr-ls repos \[flags\]\n/);
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
});
