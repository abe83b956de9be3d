// The daemon's image, proven on its offline twin: images/fleet/Dockerfile built on a base
// with no C library (images/twin/build.sh, fleet:twin), run as compose.yaml runs it (host
// networking, the engine's socket, a read-only root), driving a fleet of stand-in members
// end to end. Everything is named after this run's fleet and removed in teardown.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { requireEngine } from '../support.js';
import { docker, fleetName, freePort, get, IMAGE, inspectMembers, lines, sortIps } from '../fleet/e2e/harness.js';

const run = promisify(execFile);
const TWIN = process.env.FLEET_TWIN_IMAGE ?? 'fleet:twin';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The engine the tests use, handed to the container the way compose.yaml hands it. */
function engineAccess(): string[] {
  const host = process.env.DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) return ['-v', `${host.slice('unix://'.length)}:/var/run/docker.sock`];
  // tcp://: the container shares the host's network, so the same address reaches it.
  return ['-e', `DOCKER_HOST=${host}`];
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function dockerResult(...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run('docker', args, { timeout: 180_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function logs(container: string): Promise<string> {
  const result = await dockerResult('logs', container);
  return result.stdout + result.stderr;
}

/** Waits until every running member, asked through the balancer, serves all running members' IPs. */
async function everyMemberServesTheList(name: string, port: number, count: number, gone: string[] = []): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    const members = await inspectMembers(name);
    const ips = sortIps(members.values());
    const want = ips.map((ip) => `${ip}\n`).join('');
    if (ips.length === count && !gone.some((id) => members.has(id))) {
      // Round robin: 3 rounds reach every member at least once, even with one retry.
      const current = new Set<string>();
      for (let i = 0; i < count * 3; i++) {
        const answer = await get('127.0.0.1', port).catch((e: Error) => ({ status: 0, body: e.message, servedBy: '' }));
        if (answer.status === 200 && answer.body === want) current.add(answer.servedBy);
        else last = `a member answered ${answer.status} ${JSON.stringify(answer.body)}`;
      }
      if (ips.every((ip) => current.has(ip))) return ips;
      last ||= `only ${[...current].join(',')} of ${ips.join(',')} serve the list`;
    } else last = `${ips.length} running members, want ${count}`;
    await sleep(200);
  }
  throw new Error(`fleet ${name}: ${last}`);
}

t.test('the daemon image runs the fleet end to end (fleet:twin)', async (t) => {
  if (!(await requireEngine(t, [TWIN, IMAGE], 'run "make image-twins" and "npm run image:offline"'))) return;
  const started = Date.now();
  const name = fleetName('img');
  const port = await freePort();
  const container = `fleet-daemon-${name}`;
  // The daemon goes first, so that it can't replace members while they are removed.
  t.teardown(async () => {
    await docker('rm', '-f', container).catch(() => '');
    const ids = (await docker('ps', '-aq', '--filter', `label=io.fleet.name=${name}`)).split('\n').filter(Boolean);
    if (ids.length) await docker('rm', '-f', ...ids);
    await docker('network', 'rm', `fleet-${name}`).catch(() => '');
  });

  await docker(
    'run', '-d', '--name', container,
    '--label', `io.fleet.test.daemon=${name}`,
    '--network', 'host', ...engineAccess(),
    '--read-only', '--tmpfs', '/run/fleet:mode=0700', '--tmpfs', '/tmp', '--security-opt', 'no-new-privileges:true',
    TWIN,
    'up', '--name', name, '--port', String(port), '--replicas', '2', '--image', IMAGE, '--health-interval', '500', '--no-admin',
  );
  const deadline = Date.now() + 120_000;
  while (!(await logs(container)).includes('serving http://')) {
    const state = await docker('inspect', '--format', '{{.State.Running}}', container);
    if (state !== 'true' || Date.now() > deadline) throw new Error(`the daemon container did not become ready:\n${await logs(container)}`);
    await sleep(200);
  }

  t.test('the balancer answers the list of the 2 members on its port', async (t) => {
    const ips = sortIps((await inspectMembers(name)).values());
    t.equal(ips.length, 2, 'two members run');
    const answer = await get('127.0.0.1', port);
    t.equal(answer.status, 200);
    t.same(lines(answer.body), ips, 'the answer is the member list');
  });

  t.test('PID 1 is tini running bin/fleet on Node 24, from /opt/node alone', async (t) => {
    t.equal((await docker('exec', container, 'cat', '/proc/1/comm')), 'tini', 'tini is PID 1');
    const daemon = await docker('exec', container, 'sh', '-c', 'cat /proc/$(cat /proc/1/task/1/children | cut -d" " -f1)/cmdline | tr "\\0" " "');
    t.match(daemon, /^(\S*\/)?node \/opt\/fleet\/\S*fleet(\.cjs)? up /, 'its child is node running the launcher or the bundle');
    t.match(await docker('exec', container, 'node', '--version'), /^v24\./, 'node is 24.x');
    const libraries = await docker('exec', container, 'find', '/', '-xdev', '(', '-name', 'libc.so*', '-o', '-name', 'ld-*.so*', '-o', '-name', 'libstdc++*', ')');
    t.same(lines(libraries).sort(), ['/opt/node/lib/ld-linux-x86-64.so.2', '/opt/node/lib/libc.so.6', '/opt/node/lib/libstdc++.so.6'], 'the base lends node no C library, loader or C++ runtime');
  });

  t.test('PID 1 reaps processes orphaned in the container', async (t) => {
    await docker('exec', container, 'sh', '-c', 'sleep 0.3 & exit 0');
    await sleep(1500);
    const zombies = await docker('exec', container, 'node', '-e', `
      const fs = require('fs');
      const z = fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).map((p) => { try { return fs.readFileSync('/proc/' + p + '/stat', 'utf8'); } catch { return ''; } }).filter((s) => / Z /.test(s));
      console.log(z.join('\\n'));
    `);
    t.equal(zombies, '', 'no zombie is left');
  });

  t.test('fleet add in the daemon container grows the list on every member', async (t) => {
    const before = await inspectMembers(name);
    const result = await dockerResult('exec', container, 'fleet', 'add', '--name', name);
    t.equal(result.code, 0, `fleet add succeeds ${result.stderr}`);
    t.match(result.stdout, /now has 3 members/);
    const ips = await everyMemberServesTheList(name, port, 3);
    t.equal(ips.length, 3, 'three members, each serving all three IPs');
    t.ok([...before.values()].every((ip) => ips.includes(ip)), 'the first two are still there');
  });

  t.test('a docker kill of a member is healed', async (t) => {
    const [victim] = (await inspectMembers(name)).keys();
    await docker('kill', victim);
    const ips = await everyMemberServesTheList(name, port, 3, [victim]);
    t.equal(ips.length, 3, 'a replacement runs and every member serves the new list');
  });

  t.test('stopping the daemon container (SIGTERM) removes its members and network', async (t) => {
    await docker('stop', '-t', '60', container);
    t.equal(await docker('inspect', '--format', '{{.State.ExitCode}}', container), '0', 'the daemon exited cleanly');
    t.equal(await docker('ps', '-aq', '--filter', `label=io.fleet.name=${name}`), '', 'no member left');
    t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${name}$`), '', 'no network left');
    t.comment(`fleet:twin end to end in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
