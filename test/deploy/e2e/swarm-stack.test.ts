// deploy/swarm/stack.yaml on a three-manager lab Swarm (scripts/swarm-lab.sh, a lab of this
// run's own name and subnet): 6 members spread over the nodes, an agent on each and a
// balancer on each edge node. Every member on every node lists exactly the running members'
// overlay addresses; the balancer's host-mode port answers; a member killed on a node is gone
// from every list (the time is reported); a scale to 12 and back to 6 leaves every list
// exact. Teardown takes the lab down, on failure too, and nothing of it is left.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { requireEngine } from '../../support.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const LAB_SCRIPT = path.join(ROOT, 'scripts', 'swarm-lab.sh');
const STACK_FILE = path.join(ROOT, 'deploy', 'swarm', 'stack.yaml');
const MEMBER_IMAGE = process.env.FLEET_TEST_IMAGE ?? 'fleet-nginx:offline';
const FLEET_IMAGE = process.env.FLEET_TEST_FLEET_IMAGE ?? 'fleet:twin';
const LAB = `fs${process.pid.toString(36)}`.slice(0, 10);
const SUBNET = `10.231.${150 + (process.pid % 100)}`;
const STACK = 'web';
const PORT = 18080;
const NODES = ['n1', 'n2', 'n3'];
const env = { ...process.env, FLEET_LAB: LAB, FLEET_LAB_SUBNET: SUBNET };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function lab(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(LAB_SCRIPT, args, { env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
}

async function onNode(node: string, args: string[], extra: Record<string, string> = {}, input?: string): Promise<string> {
  const child = run('docker', args, { env: { ...env, ...extra, DOCKER_HOST: `unix:///run/${LAB}/${node}/docker.sock` }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout.trim();
}

/** The overlay addresses of the members' tasks Swarm runs (desired running, running), from a manager. */
async function runningIps(): Promise<string[]> {
  const ids = (await onNode('n1', ['service', 'ps', `${STACK}_members`, '-q', '--filter', 'desired-state=running'])).split('\n').filter(Boolean);
  if (!ids.length) return [];
  const lines = await onNode('n1', [
    'inspect', '--type', 'task', '--format',
    `{{.Status.State}}{{range .NetworksAttachments}}{{if eq .Network.Spec.Name "${STACK}_fleet"}} {{index .Addresses 0}}{{end}}{{end}}`, ...ids,
  ]);
  return lines.split('\n').filter((l) => l.startsWith('running ')).map((l) => l.split(' ')[1].split('/')[0]).sort();
}

const PROBE = 'fleet-probe';

/** Fetches `/` from each address over the overlay, from the probe container on n1: `ip list,of,ips` per line. */
const FETCH = `for ip in "$@"; do
  list=$( { exec 3<>/dev/tcp/$ip/8080 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && sed '1,/^\\r$/d' <&3; } 2>/dev/null | sort -t. -k1,1n -k2,2n -k3,3n -k4,4n | paste -sd, -)
  echo "$ip \${list:-(none)}"
done`;

/** Waits until no address in the list of every one of `ips` is `gone`; prints the time (ms since the epoch) it saw that. */
const UNTIL_GONE = `gone=$1; shift
while :; do
  clean=1
  for ip in "$@"; do
    if { exec 3<>/dev/tcp/$ip/8080 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && sed '1,/^\\r$/d' <&3; } 2>/dev/null | grep -qx "$gone"; then clean=0; break; fi
  done
  [ $clean = 1 ] && { date +%s%3N; exit 0; }
done`;

/** What each running member serves, as the balancers see it (GET / over the overlay): ip → sorted IPs. */
async function listsOf(ips: readonly string[]): Promise<Map<string, string[]>> {
  const out = await onNode('n1', ['exec', PROBE, 'bash', '-c', FETCH, 'fetch', ...ips]).catch(() => '');
  const lists = new Map<string, string[]>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [ip, list] = line.split(' ');
    lists.set(ip, list === '(none)' ? [] : list.split(',').sort());
  }
  return lists;
}

/** Resolves once `count` members run and every running member lists exactly them; rejects with what differs after `ms`. */
async function untilExact(count: number, ms: number): Promise<{ ips: string[]; ms: number }> {
  const start = Date.now();
  let detail = '';
  for (const deadline = start + ms; Date.now() < deadline; await sleep(500)) {
    const ips = await runningIps();
    if (ips.length !== count) {
      detail = `${ips.length} of ${count} members running`;
      continue;
    }
    const lists = await listsOf(ips);
    const wrong = ips.filter((ip) => lists.get(ip)?.join() !== ips.join());
    if (wrong.length === 0) return { ips, ms: Date.now() - start };
    detail = `running ${ips.join(',')}; ${wrong.length} of ${count} list otherwise: ${wrong.map((ip) => `${ip}=[${lists.get(ip)?.join(',') ?? 'no answer'}]`).join(' ')}`;
  }
  // What Swarm says of the tasks, for whoever reads the failure.
  const tasks = await onNode('n1', ['service', 'ps', '--no-trunc', '--format', '{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}} {{.Error}}', `${STACK}_members`]).catch((e: Error) => e.message);
  throw new Error(`the lists did not become exact within ${ms} ms: ${detail}; tasks: ${tasks.split('\n').slice(0, 15).join(' | ')}`);
}

function get(host: string, port: number): Promise<{ status: number; servedBy: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', timeout: 5_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, servedBy: String(res.headers['x-served-by'] ?? ''), body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
  });
}

/** How a death went through the stack, from the logs: each step's ms after `since` (the kill). */
async function chain(since: number): Promise<string[]> {
  const steps: [number, string][] = [];
  const wanted = /member\.died|list\.changed|agent\.list |agent\.member_died|agent\.push_failed/;
  await Promise.all(
    NODES.flatMap((node) =>
      ['balancer', 'agent'].map(async (service) => {
        const ids = (await onNode(node, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${STACK}_${service}`]).catch(() => '')).split('\n').filter(Boolean);
        for (const id of ids) {
          const { stdout, stderr } = await run('docker', ['logs', '--since', new Date(since - 1_000).toISOString(), id], {
            env: { ...env, DOCKER_HOST: `unix:///run/${LAB}/${node}/docker.sock` },
            timeout: 60_000,
          }).catch(() => ({ stdout: '', stderr: '' }));
          for (const line of `${stdout}\n${stderr}`.split('\n').filter((l) => wanted.test(l))) {
            const at = Date.parse(line.split(' ')[0]);
            if (at >= since - 1_000) steps.push([at - since, `${node} ${service}: ${line.split(' ').slice(2).join(' ')}`]);
          }
        }
      }),
    ),
  );
  return steps.sort((a, b) => a[0] - b[0]).slice(0, 30).map(([ms, text]) => `+${ms} ms ${text}`);
}

/** What the lab may leave on the host: each kind listed by the command that shows it. */
async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  const { stdout: netns } = await run('ip', ['netns', 'list']);
  found.push(...netns.split('\n').filter((line) => line.startsWith(`${LAB}-`)).map((l) => `netns ${l}`));
  const { stdout: links } = await run('ip', ['-o', 'link']);
  found.push(...links.split('\n').filter((line) => line.includes(LAB.slice(0, 8))).map((l) => `link ${l.split(':')[1]}`));
  const { stdout: rules } = await run('iptables', ['-S', 'FORWARD']);
  found.push(...rules.split('\n').filter((line) => line.includes(LAB.slice(0, 8))).map((l) => `rule ${l}`));
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((line) => line.includes(`/${LAB}/`));
  found.push(...mounts.map((l) => `mount ${l.split(' ')[1]}`));
  const processes = await run('pgrep', ['-f', `/run/${LAB}/`]).then(({ stdout }) => stdout.trim(), () => '');
  if (processes) found.push(`processes ${processes.split('\n').join(',')}`);
  if (fs.existsSync(`/run/${LAB}`) || fs.existsSync(`/var/lib/${LAB}`)) found.push('state folders');
  return found;
}

/** Images built before Swarm mode lack what the stack needs: said with the command that rebuilds them. */
async function imagesProblem(): Promise<string | undefined> {
  const help = await run('docker', ['run', '--rm', '--entrypoint', '/opt/fleet/bin/fleet', FLEET_IMAGE, 'up', '--help'], { timeout: 60_000 }).then(({ stdout }) => stdout, () => '');
  if (!help.includes('--stack')) return `${FLEET_IMAGE} has no "fleet up --stack" (rebuild it: npm run image:twins)`;
  const mode = await run('docker', ['run', '--rm', '--entrypoint', 'stat', MEMBER_IMAGE, '-c', '%a', '/srv/fleet', '/run/nginx'], { timeout: 60_000 }).then(({ stdout }) => stdout.trim(), () => '');
  if (mode !== '1777\n1777') return `${MEMBER_IMAGE} predates Swarm mode: /srv/fleet and /run/nginx are not 1777 (rebuild it: npm run image:offline)`;
  return undefined;
}

t.test('the stack on a three-node Swarm: exact lists, a death, a scale, and nothing left', async (t) => {
  if (!(await requireEngine(t, [MEMBER_IMAGE, FLEET_IMAGE], 'run "npm run image:offline && npm run image:twins"'))) return;
  if (process.getuid?.() !== 0) {
    if (process.env.CI) t.fail('the Swarm lab needs root (network namespaces)');
    else t.plan(0, 'skip: the Swarm lab needs root (network namespaces)');
    return;
  }
  const problem = await imagesProblem();
  if (problem) {
    t.fail(problem);
    return;
  }
  let down = false;
  t.teardown(async () => {
    if (!down) await lab('down').catch(() => undefined);
  });
  const began = Date.now();

  await lab('up', MEMBER_IMAGE, FLEET_IMAGE);
  await onNode('n1', ['secret', 'create', 'fleet-agent', '-'], {}, 'a-secret-of-this-test-run-only-0123456789\n');
  for (const node of NODES) await onNode('n1', ['node', 'update', '--label-add', 'fleet.edge=true', `${LAB}-${node}`]);
  await onNode('n1', ['stack', 'deploy', '--resolve-image', 'never', '-c', STACK_FILE, STACK], {
    FLEET_STACK: STACK,
    FLEET_IMAGE,
    FLEET_MEMBER_IMAGE: MEMBER_IMAGE,
    FLEET_REPLICAS: '6',
    FLEET_PORT: String(PORT),
    FLEET_DOCKER_SOCKET: `/run/${LAB}/{{.Node.Hostname}}.sock`,
  });

  // A probe on the attachable overlay, on n1, reads what the members serve, as a balancer would.
  await onNode('n1', ['run', '-d', '--name', PROBE, '--network', `${STACK}_fleet`, '--entrypoint', 'sleep', MEMBER_IMAGE, 'infinity']);
  // Generous: on a shared host at load 30+ the first tasks took 45-100 s, at load 90 more than 120 s.
  const first = await untilExact(6, 180_000);
  t.equal(first.ips.length, 6, `6 members run and every one lists exactly their overlay addresses (after ${Date.now() - began} ms from lab up)`);
  const nodesUsed = new Set((await onNode('n1', ['service', 'ps', `${STACK}_members`, '--filter', 'desired-state=running', '--format', '{{.Node}}'])).split('\n'));
  t.equal(nodesUsed.size, 3, 'the members are spread over the three nodes');

  // Through a balancer's host-mode port: answered by a member, with the list.
  let answer: Awaited<ReturnType<typeof get>> | undefined;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(500)) {
    answer = await get(`${SUBNET}.11`, PORT).catch(() => undefined);
    if (answer?.status === 200) break;
  }
  t.equal(answer?.status, 200, "a request to n1's balancer port is answered 200");
  t.same(answer?.body.split('\n').filter(Boolean).sort(), first.ips, 'with the list of the running members');
  t.ok(answer && first.ips.includes(answer.servedBy), `by one of them (${answer?.servedBy})`);

  // A member killed on n2: its address leaves every other member's list. The probe reads
  // them in a loop (a few ms a round) and says when it saw the address gone from all.
  const victims = (await onNode('n2', ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${STACK}_members`])).split('\n').filter(Boolean);
  t.ok(victims.length > 0, 'n2 runs a member');
  const victim = victims[0];
  const victimIp = await onNode('n2', ['inspect', '--format', `{{(index .NetworkSettings.Networks "${STACK}_fleet").IPAddress}}`, victim]);
  const survivors = (await runningIps()).filter((ip) => ip !== victimIp);
  const watching = onNode('n1', ['exec', PROBE, 'timeout', '30', 'bash', '-c', UNTIL_GONE, 'until-gone', victimIp, ...survivors]);
  // The watch is running (its exec started) before the kill: the lists still name the victim.
  await sleep(1_000);
  const before = await listsOf(survivors);
  t.ok([...before.values()].every((list) => list.includes(victimIp)), `before the kill every survivor lists ${victimIp}`);
  const killedAt = Date.now();
  await onNode('n2', ['kill', victim]);
  const seenAt = Number(await watching.catch(() => NaN));
  const goneMs = seenAt - killedAt;
  t.ok(Number.isFinite(goneMs), `the killed member's address ${victimIp} is gone from the ${survivors.length} survivors' lists ${goneMs} ms after docker kill was called`);
  t.comment(`kill -> gone from every list: ${goneMs} ms`);
  for (const line of await chain(killedAt)) t.comment(line);
  const replaced = await untilExact(6, 90_000);
  t.notOk(replaced.ips.includes(victimIp), `Swarm replaced it and every list is exact again (${replaced.ms} ms)`);

  await onNode('n1', ['service', 'scale', '--detach', `${STACK}_members=12`]);
  const up = await untilExact(12, 120_000);
  t.equal(up.ips.length, 12, `scaled to 12: every member lists exactly the 12 (${up.ms} ms)`);
  await onNode('n1', ['service', 'scale', '--detach', `${STACK}_members=6`]);
  const back = await untilExact(6, 90_000);
  t.equal(back.ips.length, 6, `back to 6: every member lists exactly the 6 (${back.ms} ms)`);
  t.comment(`total before teardown: ${Date.now() - began} ms`);

  await lab('down');
  down = true;
  t.same(await leftovers(), [], 'down leaves no namespace, link, rule, mount, process or folder');
});
