// The real fleet CLI in-process against fake daemons on the control socket: a daemon's bug
// is exit 70 in one line, and `fleet down` removes a fleet's containers itself only when no
// daemon runs, never behind one that is slow to answer or that it cannot reach.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import t from 'tap';
import { run } from '../../../../src/fleet/cli.js';
import type { FleetContext } from '../../../../src/fleet/commands/context.js';
import { FleetError } from '../../../../src/fleet/errors.js';
import { socketPath } from '../../../../src/fleet/names.js';
import { requireEngine, type Tap } from '../../../support.js';
import { gate, serve, tempRunDir } from './helpers.js';

const exec = promisify(execFile);
const RUN = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const RUN_LABEL = 'io.fleet.test-run';
const IMAGE = process.env.FLEET_TEST_IMAGE ?? 'fleet-nginx:offline';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function fleet(argv: string[], extra: Partial<FleetContext> = {}): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await run(argv, { stdin: new PassThrough(), stdout, stderr, env: process.env, colorDepth: 1, ...extra });
  return { code, stdout: out, stderr: err };
}

/** Points the CLI's run directory (FLEET_RUN_DIR) at `dir` for this test. */
function useRunDir(t: Tap, dir: string): void {
  const before = process.env.FLEET_RUN_DIR;
  process.env.FLEET_RUN_DIR = dir;
  t.teardown(() => {
    if (before === undefined) delete process.env.FLEET_RUN_DIR;
    else process.env.FLEET_RUN_DIR = before;
  });
}

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

/** A stopped member of fleet `name`, labelled as the daemon labels its own and with this run's label. */
async function leftoverMember(t: Tap, name: string): Promise<string> {
  t.teardown(async () => {
    const ids = (await docker('ps', '-aq', '--filter', `label=${RUN_LABEL}=${RUN}`)).split('\n').filter(Boolean);
    if (ids.length) await docker('rm', '-f', ...ids);
  });
  return docker('create', '--label', `io.fleet.name=${name}`, '--label', 'io.fleet.role=member', '--label', `${RUN_LABEL}=${RUN}`, IMAGE);
}

async function exists(id: string): Promise<boolean> {
  return docker('inspect', '--format', '{{.Id}}', id).then(
    () => true,
    () => false,
  );
}

t.test("a daemon's bug is exit 70 and one line", async (t) => {
  useRunDir(t, tempRunDir(t));
  const name = 'buggy';
  await serve(t, socketPath(name), { status: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'ip')")) });
  const result = await fleet(['status', '--name', name]);
  t.equal(result.code, 70, 'exit 70: a bug, not the user\'s doing');
  t.equal(result.stderr, `Error: internal error: fleet "buggy" failed inside its daemon: GET /status failed: Cannot read properties of undefined (reading 'ip')\n`, 'one line');
  t.equal(result.stdout, '', 'nothing on stdout');
});

t.test('a refusal by the daemon is exit 1 with its message', async (t) => {
  useRunDir(t, tempRunDir(t));
  const name = 'small';
  await serve(t, socketPath(name), { scale: () => Promise.reject(new FleetError('FLEET_SCALE_REJECTED', 'cannot remove 3: fleet "small" has 1 members and keeps at least 1')) });
  const result = await fleet(['remove', '--count', '3', '--name', name]);
  t.same(result, { code: 1, stdout: '', stderr: 'Error: cannot remove 3: fleet "small" has 1 members and keeps at least 1\n' }, "exit 1 and the daemon's message");
});

t.test('status against a daemon slow to answer says so, not that the fleet is not running', async (t) => {
  useRunDir(t, tempRunDir(t));
  const name = 'slow';
  const release = gate(t);
  await serve(t, socketPath(name), { status: () => release.wait.then(() => Promise.reject(new Error('released'))) });
  const result = await fleet(['status', '--name', name], { controlTimeoutMs: 200 });
  t.equal(result.code, 1, 'exit 1');
  t.equal(result.stderr, `Error: fleet "slow" did not answer GET /status within 0.2 s on ${socketPath(name)}\n`, 'one line naming the wait and the socket');
});

t.test('fleet down removes a fleet\'s containers itself only when no daemon runs', async (t) => {
  if (!(await requireEngine(t, [IMAGE], 'run "npm run image:offline"'))) return;
  const dir = tempRunDir(t);
  useRunDir(t, dir);
  const name = `tctl${RUN}`.slice(0, 30);
  const member = await leftoverMember(t, name);

  t.test('a daemon slow to answer: nothing is removed', async (t) => {
    const release = gate(t);
    const served = await serve(t, socketPath(name), { down: () => release.wait.then(() => ({ removedContainers: 0, removedNetwork: false })) });
    const result = await fleet(['down', '--name', name], { controlTimeoutMs: 500 });
    t.equal(result.code, 1, 'exit 1');
    t.equal(
      result.stderr,
      `Error: fleet "${name}" did not answer POST /down within 0.5 s on ${socketPath(name)}; nothing was removed, since its daemon may still run\n`,
      'one line saying what happened',
    );
    t.same(
      served.calls.map((c) => c.route),
      ['down'],
      'the daemon was asked',
    );
    t.ok(await exists(member), "the fleet's container is still there");
    release.open();
  });

  t.test('a socket it cannot talk to: nothing is removed', async (t) => {
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, '');
    useRunDir(t, file);
    const result = await fleet(['down', '--name', name]);
    t.equal(result.code, 1, 'exit 1');
    t.match(result.stderr, /^Error: cannot talk to fleet "\S+" on \S+: .*ENOTDIR.*; nothing was removed, since its daemon may still run\n$/, 'one line');
    t.ok(await exists(member), "the fleet's container is still there");
  });

  t.test('no daemon at all: down cleans up what the fleet left', async (t) => {
    t.notOk(fs.existsSync(socketPath(name)), 'no socket');
    const result = await fleet(['down', '--name', name]);
    t.same(result, { code: 0, stdout: `fleet "${name}" is down: removed 1 containers\n`, stderr: '' }, 'down says what it removed');
    t.notOk(await exists(member), "the fleet's container is gone");
  });
});
