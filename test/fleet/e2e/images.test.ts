// `fleet images <command>` is dkr-ls under fleet's name: for the same engine state, the
// built `bin/fleet images …` prints exactly what `bin/dkr-ls …` prints, on stdout and
// stderr, with the same exit code. Images are made here (docker load, no registry) with a
// label unique to this run, and removed in teardown.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import t from 'tap';
import { loadImages } from '../../dkr-ls/fixtures/image-archive.mjs';
import { DAY, ROOT, removeImagesAtEnd, requireEngine } from '../../dkr-ls/helpers.js';

const RUN = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
const LABEL = `io.fleet.images.test=${RUN}`;
const P = `fimg-t${RUN}`;
const DKR_LS = path.join(ROOT, 'bin', 'dkr-ls');
const FLEET = path.join(ROOT, 'bin', 'fleet');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(bin, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// What each tool prints of its own name, so that the rest must match byte for byte.
const asDkrLs = (text: string): string => text.split('fleet images').join('dkr-ls');

// Every dkr-ls command and the ways it can end: listings, raw values, filters, usage, bad input.
const CASES: { what: string; args: string[]; code: number; env?: NodeJS.ProcessEnv }[] = [
  { what: 'tags', args: ['tags', '--prefix', P], code: 0 },
  { what: 'tags with every filter and the total', args: ['tags', '--prefix', P, '--minAge', '20', '--minSize=1MB', '--maxTags', '1', '--sum=true'], code: 0 },
  { what: 'tags as JSON', args: ['tags', '--prefix', P, '--json', '--sum'], code: 0 },
  { what: 'repos', args: ['repos', '--prefix', P], code: 0 },
  { what: 'repos as JSON', args: ['repos', '--prefix', P, '--json'], code: 0 },
  { what: 'tags at DEBUG (logs on stderr)', args: ['tags', '--prefix', `${P}/gamma`, '--log-level', 'debug'], code: 0 },
  { what: 'the usage with no command', args: [], code: 0 },
  { what: "a command's help", args: ['tags', '--help'], code: 0 },
  { what: 'the version', args: ['--version'], code: 0 },
  { what: 'a bad value', args: ['tags', '--minAge', '-1'], code: 2 },
  { what: 'a bad boolean', args: ['tags', '--sum=maybe'], code: 2 },
  { what: 'an unknown flag', args: ['repos', '--maxTags', '1'], code: 2 },
  { what: 'an unknown command', args: ['nope'], code: 2 },
  { what: 'an engine that is not there', args: ['tags'], code: 1, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } },
  { what: 'a DOCKER_HOST that does not parse', args: ['repos'], code: 1, env: { DOCKER_HOST: 'ftp://nope' } },
];

if (await requireEngine(t)) {
  removeImagesAtEnd(t, LABEL);
  // Ages sit mid-bucket so the moments between the two runs can't change a word.
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms);
  const labels = { 'io.fleet.images.test': RUN };
  await loadImages([
    { tags: [`${P}/alpha:1`, `${P}/alpha:2`], created: ago(17 * DAY + 5 * 3600_000), layers: [22_100_000], labels },
    { tags: [`${P}/beta:latest`], created: ago(45 * DAY + 5 * 3600_000), layers: [999_500], labels },
    { tags: [`${P}/gamma:v1.0`], created: ago(100 * DAY + 5 * 3600_000), layers: [1_125_000], labels },
    { tags: [`${P}/delta:x`], created: ago(30 * 60_000 + 10_000), layers: [1000], labels },
  ]);

  for (const c of CASES) {
    t.test(`fleet images ${c.args.join(' ')}: ${c.what}`, async (t) => {
      const want = await run(DKR_LS, c.args, c.env);
      const got = await run(FLEET, ['images', ...c.args], c.env);
      t.equal(want.code, c.code, `dkr-ls exits ${c.code}`);
      t.equal(got.code, want.code, 'fleet images exits as dkr-ls does');
      t.equal(asDkrLs(got.stdout), want.stdout, 'stdout is the same, but for the name');
      // Log lines carry their time, and counts and names of the whole engine's images (other test files add and
      // remove theirs between the two runs): compare them without.
      const untimed = (text: string): string =>
        text
          .replace(/^\S+Z /gm, '')
          .replace(/\b(ms|images|of|rows|removed)=\d+/g, '$1=N')
          .replace(/\brefs=("(?:[^"\\]|\\.)*"|\S*)/g, 'refs=…');
      t.equal(untimed(asDkrLs(got.stderr)), untimed(want.stderr), 'stderr is the same, but for the name');
      if (c.code === 0 && c.args.length > 0 && c.args[0] !== '--version') t.not(want.stdout, '', 'something was listed');
    });
  }

  t.test('fleet --help lists the images command', async (t) => {
    const help = await run(FLEET, ['--help']);
    t.match(help.stdout, /fleet images \.\.\.\n/);
  });
}
