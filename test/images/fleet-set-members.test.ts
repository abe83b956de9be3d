// The member's list writer, images/nginx/fleet-set-members, run by the two shells the
// images have: Debian's dash (the stand-in) and busybox sh (alpine:3.10). One-shot and
// --follow, good input and bad, on a directory of the test's own.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = path.resolve(import.meta.dirname, '..', '..', 'images', 'nginx', 'fleet-set-members');
const SHELLS: [string, string[]][] = [
  ['dash', ['dash']],
  ['busybox sh', ['busybox', 'sh']],
];

async function available(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

function listDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-list-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs --follow, feeding `input`; resolves with its stdout lines once it exits. */
function follow(shell: string[], dir: string, input: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(shell[0], [...shell.slice(1), SCRIPT, '--follow'], { env: { ...process.env, FLEET_LIST_DIR: dir } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(out.split('\n').filter(Boolean)));
    child.stdin.end(input);
  });
}

for (const [name, shell] of SHELLS) {
  t.test(`under ${name}`, async (t) => {
    if (!(await available(shell[0]))) {
      if (process.env.CI) t.fail(`${shell[0]} is not installed`);
      else t.plan(0, `skip: ${shell[0]} is not installed`);
      return;
    }

    t.test('one-shot: the IPs become the list, one per line', async (t) => {
      const dir = listDir(t);
      await run(shell[0], [...shell.slice(1), SCRIPT, '10.0.0.2', '10.0.0.10'], { env: { ...process.env, FLEET_LIST_DIR: dir } });
      t.equal(fs.readFileSync(path.join(dir, 'members.txt'), 'utf8'), '10.0.0.2\n10.0.0.10\n');
      t.same(fs.readdirSync(dir), ['members.txt'], 'no temporary file is left');
    });

    t.test('one-shot: no IP is an empty list; a bad argument changes nothing', async (t) => {
      const dir = listDir(t);
      const env = { ...process.env, FLEET_LIST_DIR: dir };
      await run(shell[0], [...shell.slice(1), SCRIPT], { env });
      t.equal(fs.readFileSync(path.join(dir, 'members.txt'), 'utf8'), '', 'empty');
      await run(shell[0], [...shell.slice(1), SCRIPT, '10.0.0.1'], { env });
      await t.rejects(run(shell[0], [...shell.slice(1), SCRIPT, '--bogus'], { env }), 'an argument that is not an address fails');
      t.equal(fs.readFileSync(path.join(dir, 'members.txt'), 'utf8'), '10.0.0.1\n', 'and the list stays as it was');
    });

    t.test('--follow: ready, then one answer per line, in order', async (t) => {
      const dir = listDir(t);
      const cases: [string, string][] = [
        ['1 10.0.0.1 10.0.0.2', 'ack 1'],
        ['2', 'ack 2'],
        ['x 10.0.0.1', 'nak - not a generation: x'],
        ['', 'nak - not a generation: empty line'],
        ['3 10.0.0.1 *', 'nak 3 not an IPv4 address list'],
        ['4 10.0.0.1 ../etc', 'nak 4 not an IPv4 address list'],
        ['5 1..2', 'nak 5 not an IPv4 address list'],
        ['6 10.0.0.3 10.0.0.4', 'ack 6'],
      ];
      const answers = await follow(shell, dir, cases.map(([line]) => `${line}\n`).join(''));
      t.same(answers, ['ready 1', ...cases.map(([, answer]) => answer)]);
      t.equal(fs.readFileSync(path.join(dir, 'members.txt'), 'utf8'), '10.0.0.3\n10.0.0.4\n', 'the last good list is served');
      t.same(fs.readdirSync(dir), ['members.txt'], 'no temporary file is left');
    });

    t.test('--follow: a list that cannot be written is a nak, and the reader goes on', async (t) => {
      const dir = listDir(t);
      const missing = path.join(dir, 'missing');
      const answers = await follow(shell, missing, '1 10.0.0.1\n');
      t.match(answers, ['ready 1', /^nak 1 cannot write /]);
    });
  });
}
