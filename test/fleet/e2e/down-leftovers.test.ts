// `fleet down` removes a fleet's containers itself only when no daemon runs: never behind a
// daemon that is slow to answer or that it cannot reach. The CLI runs in-process against fake
// daemons on the control socket; the containers are real.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { socketPath } from '../../../src/fleet/names.js';
import { requireEngine, type Tap } from '../../support.js';
import { fleetInProcess as fleet, gate, serve, tempRunDir, useRunDir } from '../control/socket/helpers.js';

const exec = promisify(execFile);
const RUN = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const RUN_LABEL = 'io.fleet.test-run';
const IMAGE = process.env.FLEET_TEST_IMAGE ?? 'fleet-nginx:offline';

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
