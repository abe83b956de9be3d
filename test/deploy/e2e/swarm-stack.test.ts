// deploy/swarm/stack.yaml on a three-manager lab Swarm (scripts/swarm-lab.sh, a lab of this
// run's own name and subnet): 6 members spread over the nodes, an agent on each and a
// balancer on each edge node. Every member on every node lists exactly the running members'
// overlay addresses; the balancer's host-mode port answers; a member killed on a node is gone
// from every list (the time is reported); fleet add --stack to 9, docker service scale to 12
// and fleet remove --stack back to 6 leave every list exact (fleet's commands return only once
// it is); a whole node lost under load (its link dark, everything on it killed, the VIP of
// keepalived on it) fails no request through another node's balancer and only what was in
// flight on it through the VIP, and the lists become exact without it.
// Teardown takes the lab down, on failure too, and nothing of it is left.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { requireEngine } from '../../support.js';
import { labLeftovers } from '../../lab.js';

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

/**
 * The containers of the stack's `service` (members, agent, balancer) on `node` whose tasks
 * Swarm wants running and that run: not one that a scale-down is stopping. From a manager.
 */
async function containersOf(node: string, service: string): Promise<string[]> {
  const tasks = (await onNode('n1', ['service', 'ps', '-q', '--filter', 'desired-state=running', '--filter', `node=${LAB}-${node}`, `${STACK}_${service}`])).split('\n').filter(Boolean);
  if (!tasks.length) return [];
  const lines = await onNode('n1', ['inspect', '--type', 'task', '--format', '{{.Status.State}} {{.Status.ContainerStatus.ContainerID}}', ...tasks]);
  return lines.split('\n').filter((l) => l.startsWith('running ')).map((l) => l.split(' ')[1]);
}

/** The overlay addresses of containers on `node`, in the order given. */
async function overlayIps(node: string, ids: readonly string[]): Promise<string[]> {
  if (!ids.length) return [];
  return (await onNode(node, ['inspect', '--format', `{{(index .NetworkSettings.Networks "${STACK}_fleet").IPAddress}}`, ...ids])).split('\n');
}

/** The members' update as Swarm reports it (updating, completed, rollback_started, rollback_completed, …); '' before any. */
async function updateState(): Promise<string> {
  return onNode('n1', ['service', 'inspect', '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}', `${STACK}_members`]);
}

/** Waits until the members' update is in one of `states`; rejects with the last state after `ms`. */
async function untilUpdate(states: readonly string[], ms: number): Promise<{ state: string; ms: number }> {
  const start = Date.now();
  let state = '';
  for (const deadline = start + ms; Date.now() < deadline; await sleep(500)) {
    state = await updateState().catch(() => state);
    if (states.includes(state)) return { state, ms: Date.now() - start };
  }
  throw new Error(`the members' update is "${state}" after ${ms} ms, not ${states.join(' or ')}`);
}

/** The images of the members' tasks that run now, sorted. */
async function runningImages(): Promise<string[]> {
  return (await onNode('n1', ['service', 'ps', `${STACK}_members`, '--filter', 'desired-state=running', '--format', '{{.Image}}'])).split('\n').sort();
}

/**
 * Kills `victim` on `node` and resolves with how long until its address was gone from the
 * lists of every other running member (NaN when not within 30 s), read by the probe.
 */
async function killAndTime(node: string, victim: string): Promise<number> {
  const [ip] = await overlayIps(node, [victim]);
  const others = (await runningIps()).filter((other) => other !== ip);
  const watching = onNode('n1', ['exec', PROBE, 'timeout', '30', 'bash', '-c', UNTIL_GONE, 'until-gone', ip, ...others]).then(Number, () => NaN);
  // The watch is running (its exec started) before the kill.
  await sleep(1_000);
  const killedAt = Date.now();
  await onNode(node, ['kill', victim]);
  return (await watching) - killedAt;
}

/** bin/fleet on this host against n1's engine (a manager, and an edge node with a balancer); never rejects. */
async function fleetOnN1(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(path.join(ROOT, 'bin', 'fleet'), args, { env: { ...env, DOCKER_HOST: `unix:///run/${LAB}/n1/docker.sock` }, timeout: 360_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

/** `fleet status --stack STACK` against n1, with `args` (a later --stack wins). */
function stackStatus(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return fleetOnN1('status', '--stack', STACK, ...args);
}

const PROBE = 'fleet-probe';

/** The probe's two scripts (scripts/swarm-probe): each member's list, and a wait until addresses leave every list. */
const FETCH = fs.readFileSync(path.join(ROOT, 'scripts', 'swarm-probe', 'fetch.sh'), 'utf8');
const UNTIL_GONE = fs.readFileSync(path.join(ROOT, 'scripts', 'swarm-probe', 'until-gone.sh'), 'utf8');

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

function get(host: string, port: number, agent: http.Agent | false = false, timeoutMs = 5_000): Promise<{ status: number; servedBy: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', timeout: timeoutMs, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, servedBy: String(res.headers['x-served-by'] ?? ''), body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

interface Load {
  answered: number;
  failed: string[];
  /** 503 FLEET_OVERLOADED: the balancer shed the request because its host is saturated (shed.ts), not because of the fault under test. */
  shed: number;
  /** Request times in ms, in the order they ended. */
  times: number[];
  /** When each 200 arrived (ms since the epoch), in order. */
  answeredAt: number[];
  stop(): Promise<void>;
}

/** Every load started: teardown stops what a failed assertion left running. */
const loads: Load[] = [];

/**
 * Clients of a balancer port until stopped: `keepAlive` of them on kept-alive connections and
 * one opening a new connection for every request, each sending its next request after a short
 * pause. A client waits up to a minute for an answer: a request held and answered late is
 * slow, not lost; anything but a 200 is a failure, except a 503 FLEET_OVERLOADED: shedding on a
 * saturated host (the labs share two cores with the other tests) is counted apart as shed.
 */
function steadyLoad(host: string, port: number, keepAlive = 4, pauseMs = 20): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: keepAlive });
  const load: Load = { answered: 0, failed: [], shed: 0, times: [], answeredAt: [], stop: async () => {} };
  loads.push(load);
  let running = true;
  const client = async (through: http.Agent | false): Promise<void> => {
    while (running) {
      const start = Date.now();
      const outcome = await get(host, port, through, 60_000).then((r) => (r.status === 200 ? '' : `${r.status} ${r.body.trim()}`), (e: Error) => e.message);
      load.times.push(Date.now() - start);
      if (outcome.startsWith('503 ') && outcome.includes('FLEET_OVERLOADED')) load.shed++;
      else if (outcome) load.failed.push(`${new Date().toISOString()} ${outcome}`);
      else {
        load.answered++;
        load.answeredAt.push(Date.now());
      }
      await sleep(pauseMs);
    }
  };
  const clients = [...Array.from({ length: keepAlive }, () => client(agent)), client(false)];
  load.stop = async () => {
    running = false;
    await Promise.all(clients);
    agent.destroy();
  };
  return load;
}

/** The longest time without an answer from `from` on: how long the clients saw nothing. */
function longestSilence(answeredAt: readonly number[], from: number): number {
  let longest = 0;
  let last = from;
  for (const at of answeredAt) {
    if (at < from) continue;
    longest = Math.max(longest, at - last);
    last = at;
  }
  return longest;
}

function summary(load: Load): string {
  const over2s = load.times.filter((ms) => ms > 2_000).length;
  return `${load.answered} answered, ${load.failed.length} failed, ${load.shed} shed (host saturated), ${over2s} over 2 s, p50 ${percentile(load.times, 50)} ms, p99 ${percentile(load.times, 99)} ms, max ${Math.max(...load.times)} ms`;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/** How a death went through the stack, from the logs: each step's ms after `since` (the kill). */
async function chain(since: number): Promise<string[]> {
  const steps: [number, string][] = [];
  const wanted = /member\.died|member\.state|list\.changed|agent\.list |agent\.member_died|agent\.push_failed|agent\.dropped|agent\.gone|swarm\.observe_failed/;
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

/** Images built before Swarm mode lack what the stack needs: said with the command that rebuilds them. */
async function imagesProblem(): Promise<string | undefined> {
  const help = await run('docker', ['run', '--rm', '--entrypoint', '/opt/fleet/bin/fleet', FLEET_IMAGE, 'up', '--help'], { timeout: 60_000 }).then(({ stdout }) => stdout, () => '');
  if (!help.includes('--stack')) return `${FLEET_IMAGE} has no "fleet up --stack" (rebuild it: npm run image:twins)`;
  const mode = await run('docker', ['run', '--rm', '--entrypoint', 'stat', MEMBER_IMAGE, '-c', '%a', '/srv/fleet', '/run/nginx'], { timeout: 60_000 }).then(({ stdout }) => stdout.trim(), () => '');
  if (mode !== '1777\n1777') return `${MEMBER_IMAGE} predates Swarm mode: /srv/fleet and /run/nginx are not 1777 (rebuild it: npm run image:offline)`;
  return undefined;
}

t.test('the stack on a three-node Swarm: exact lists, a death, a scale, a node lost, and nothing left', async (t) => {
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
    await Promise.all(loads.map((l) => l.stop()));
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

  // fleet status --stack, against a manager: the stack by node.
  const status = await stackStatus('--json');
  const stack = JSON.parse(status.stdout) as { image: string; desired: number; running: number; nodes: { hostname: string; members: { ip: string; state: string }[]; agents: { state: string }[]; balancers: { state: string }[] }[] };
  t.match(stack, { image: MEMBER_IMAGE, desired: 6, running: 6 }, 'fleet status --stack: the image, 6 desired and 6 running');
  t.same(stack.nodes.map((n) => n.hostname), NODES.map((n) => `${LAB}-${n}`), 'its three nodes');
  t.same(stack.nodes.flatMap((n) => n.members.filter((m) => m.state === 'running').map((m) => m.ip)).sort(), first.ips, "with each running member's overlay address under its node");
  t.ok(stack.nodes.every((n) => n.agents.some((a) => a.state === 'running') && n.balancers.some((b) => b.state === 'running')), 'and an agent and a balancer running on each');
  t.match((await stackStatus()).stdout, new RegExp(`^stack "${STACK}": members 6 of 6 running {2}image ${MEMBER_IMAGE}`), 'the table says as much on its first line');
  const unknown = await stackStatus('--stack', 'nosuchstack');
  t.equal(unknown.code, 1, 'a stack the manager does not know: exit 1');
  t.match(unknown.stderr, /^Error: no service nosuchstack_members on .*\n$/, `one line naming it: ${unknown.stderr.trim()}`);

  // What n1's balancer tells its dashboard (/api/status, read inside its container): each
  // member's node and the generation it holds, the agents it links to, the stack's balancers.
  const [balancerN1] = await containersOf('n1', 'balancer');
  let api: { list?: { generation: number; ips: string[] }; members: { ip: string; node?: string; generation?: number | null }[]; stack?: { agents: { connected: boolean }[]; balancers: { node: string; state: string }[] } } | undefined;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(1_000)) {
    const out = await onNode('n1', ['exec', balancerN1, '/opt/node/bin/node', '-e', "fetch('http://127.0.0.1:9180/api/status').then((r) => r.text()).then((t) => process.stdout.write(t))"]).catch(() => '');
    api = out ? (JSON.parse(out) as typeof api) : undefined;
    if (api?.stack?.balancers.length === 3 && api.members.every((m) => m.node?.startsWith(LAB))) break;
  }
  t.same(api?.list?.ips.slice().sort(), first.ips, "the balancer's /api/status: the list owed names the 6");
  t.same([...new Set(api?.members.map((m) => m.node))].sort(), NODES.map((n) => `${LAB}-${n}`), "each member under its node's hostname");
  t.ok(api?.members.every((m) => typeof m.generation === 'number' && m.generation >= (api?.list?.generation ?? Infinity)), 'each holding the list');
  t.same(api?.stack?.agents.map((a) => a.connected), [true, true, true], 'linked to the 3 agents');
  t.same(api?.stack?.balancers.map((b) => `${b.node} ${b.state}`), NODES.map((n) => `${LAB}-${n} running`), "and the stack's 3 balancers, by node");

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
  const victims = await containersOf('n2', 'members');
  t.ok(victims.length > 0, 'n2 runs a member');
  const victim = victims[0];
  const [victimIp] = await overlayIps('n2', [victim]);
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

  // fleet add --stack and fleet remove --stack return once Swarm runs the count asked and
  // every member on every node serves their list: read at once when they return.
  const scaleWithFleet = async (verb: 'add' | 'remove', count: number, expected: number): Promise<void> => {
    const began = Date.now();
    const result = await fleetOnN1(verb, '--stack', STACK, '--count', String(count));
    t.equal(result.code, 0, `fleet ${verb} --stack ${STACK} --count ${count}: exit 0 after ${Date.now() - began} ms${result.code ? `: ${result.stderr.trim()}` : ''}`);
    const said = verb === 'add' ? 'added' : 'removed';
    t.equal((result.stdout.match(new RegExp(`^${said} `, 'gm')) ?? []).length, count, `it names the ${count} members it ${said}: ${result.stdout.trim().split('\n').pop()}`);
    const ips = await runningIps();
    const lists = await listsOf(ips);
    t.equal(ips.length, expected, `as it returns, Swarm runs ${expected} members`);
    t.same(ips.filter((ip) => lists.get(ip)?.join() !== ips.join()), [], `and every one of them already lists exactly the ${expected}`);
  };
  await scaleWithFleet('add', 3, 9);
  const status9 = JSON.parse((await stackStatus('--json')).stdout) as { list?: { generation: number; members: number }; nodes: { members: { state: string; list?: number | null }[] }[] };
  const held9 = status9.nodes.flatMap((n) => n.members.filter((m) => m.state === 'running').map((m) => m.list));
  t.equal(status9.list?.members, 9, `fleet status --stack names the list owed: generation ${status9.list?.generation} of 9`);
  t.ok(held9.length === 9 && held9.every((g) => typeof g === 'number' && g >= (status9.list?.generation ?? Infinity)), `and each member holding it: ${held9.join(' ')}`);
  const tooMany = await fleetOnN1('remove', '--stack', STACK, '--count', '9');
  t.equal(tooMany.code, 1, 'fleet remove --stack of every member: exit 1');
  t.match(tooMany.stderr, /^Error: cannot remove 9: stack "web" has 9 members and keeps at least 1\n$/, `one line, nothing changed: ${tooMany.stderr.trim()}`);

  await onNode('n1', ['service', 'scale', '--detach', `${STACK}_members=12`]);
  const up = await untilExact(12, 120_000);
  t.equal(up.ips.length, 12, `docker service scale to 12: every member lists exactly the 12 (${up.ms} ms)`);
  await scaleWithFleet('remove', 6, 6);

  // A balancer killed (n2's), then an agent (n2's): clients of n1's balancer see nothing of
  // either. With n2's balancer gone, a member killed on n3 still leaves every list (the other
  // balancers publish); with n2's agent gone, a member killed on n2 does too: its death comes
  // from Swarm's task list instead of the agent, and n2's members get their lists once Swarm
  // has restarted the agent.
  const steady = steadyLoad(`${SUBNET}.11`, PORT, 2);
  const [n2Balancer] = await containersOf('n2', 'balancer');
  await onNode('n2', ['kill', n2Balancer]);
  const [onN3Member] = await containersOf('n3', 'members');
  const withoutBalancerMs = await killAndTime('n3', onN3Member);
  t.ok(Number.isFinite(withoutBalancerMs), `n2's balancer killed: a member killed on n3 is gone from every list ${withoutBalancerMs} ms after the kill`);
  t.comment(`balancer killed, then a member on another node -> gone from every list: ${withoutBalancerMs} ms`);
  let again: Awaited<ReturnType<typeof get>> | undefined;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(500)) {
    again = await get(`${SUBNET}.12`, PORT).catch(() => undefined);
    if (again?.status === 200) break;
  }
  t.equal(again?.status, 200, "Swarm restarted n2's balancer and it answers 200 again");
  await untilExact(6, 90_000);

  const [n2Agent] = await containersOf('n2', 'agent');
  await onNode('n2', ['kill', n2Agent]);
  const [onN2Member] = await containersOf('n2', 'members');
  const withoutAgentMs = await killAndTime('n2', onN2Member);
  t.ok(Number.isFinite(withoutAgentMs), `n2's agent killed: a member killed on n2 is gone from every list ${withoutAgentMs} ms after the kill`);
  t.comment(`agent killed, then a member on its node -> gone from every list: ${withoutAgentMs} ms`);
  const agentBack = await untilExact(6, 120_000);
  t.equal(agentBack.ips.length, 6, `Swarm restarted the agent and replaced the member: every list exact (${agentBack.ms} ms)`);
  t.ok((await containersOf('n2', 'agent')).some((id) => id !== n2Agent), 'n2 runs a new agent');
  await steady.stop();
  t.same(steady.failed, [], `no request to n1's balancer failed meanwhile: ${summary(steady)}`);

  // Swarm's own rolling update (the stack's update_config: start-first, one at a time,
  // rollback on failure) under load through two balancers: nothing fails; then an image whose
  // members exit at once is rolled back by Swarm, again failing nothing.
  const V2 = `${MEMBER_IMAGE.split(':')[0]}:swarm-v2`;
  const BROKEN = `${MEMBER_IMAGE.split(':')[0]}:swarm-broken`;
  for (const node of NODES) {
    await onNode(node, ['tag', MEMBER_IMAGE, V2]);
    const tmp = await onNode(node, ['create', MEMBER_IMAGE]);
    await onNode(node, ['commit', '--change', 'ENTRYPOINT ["/bin/false"]', tmp, BROKEN]);
    await onNode(node, ['rm', tmp]);
  }
  const rolling = [steadyLoad(`${SUBNET}.11`, PORT, 2), steadyLoad(`${SUBNET}.12`, PORT, 2)];
  await sleep(1_000);
  await onNode('n1', ['service', 'update', '--detach', '--no-resolve-image', '--image', V2, `${STACK}_members`]);
  const updated = await untilUpdate(['completed', 'paused', 'rollback_completed'], 300_000);
  t.equal(updated.state, 'completed', `Swarm's rolling update completed (${updated.ms} ms)`);
  const afterUpdate = await untilExact(6, 90_000);
  t.same(await runningImages(), Array(6).fill(V2), `every member runs ${V2}, and every list is exact (${afterUpdate.ms} ms after)`);
  await onNode('n1', ['service', 'update', '--detach', '--no-resolve-image', '--image', BROKEN, `${STACK}_members`]);
  const rolledBack = await untilUpdate(['rollback_completed', 'rollback_paused', 'completed'], 240_000);
  t.equal(rolledBack.state, 'rollback_completed', `an update whose members exit at once is rolled back by Swarm (${rolledBack.ms} ms)`);
  const afterRollback = await untilExact(6, 90_000);
  t.same(await runningImages(), Array(6).fill(V2), `every member runs ${V2} again, and every list is exact (${afterRollback.ms} ms after)`);
  await Promise.all(rolling.map((l) => l.stop()));
  for (const [i, load] of rolling.entries()) {
    t.same(load.failed, [], `no request to n${i + 1}'s balancer failed during the update and the rollback: ${summary(load)}`);
    t.comment(`rolling update and rollback, through n${i + 1}: ${summary(load)}`);
  }

  // The edge's one address: keepalived on every node (deploy/keepalived's recipe), n3 holding
  // the VIP.
  await lab('vrrp', String(PORT), 'n3');
  const vip = (await lab('vip')).stdout.trim();
  t.equal((await lab('holder')).stdout.trim(), 'n3', `n3 holds the VIP ${vip}`);

  // A whole node lost under load: n3, holding the VIP, a balancer, an agent and members, goes
  // dark and everything on it dies, as in a power loss. Clients of the VIP and of n1's
  // balancer keep going. keepalived moves the VIP; Swarm (two managers of three: quorum kept)
  // restarts n3's members on n1 and n2, and every list becomes exact again without them.
  // Through n1 no request may fail (one sent to a member on n3 is sent again elsewhere);
  // through the VIP, only what was in flight on n3's balancer may: one per client at most.
  const direct = steadyLoad(`${SUBNET}.11`, PORT, 2);
  const viaVip = steadyLoad(vip, PORT, 2);
  const clients = 3;
  const onN3 = await containersOf('n3', 'members');
  const n3Ips = await overlayIps('n3', onN3);
  const elsewhere = (await runningIps()).filter((ip) => !n3Ips.includes(ip));
  t.ok(n3Ips.length > 0, `n3 runs members (${n3Ips.join(', ')})`);
  const watchingLoss = onNode('n1', ['exec', PROBE, 'timeout', '90', 'bash', '-c', UNTIL_GONE, 'until-gone', n3Ips.join(','), ...elsewhere]);
  await sleep(3_000);
  const lostAt = Date.now();
  await lab('lose', 'n3');
  let holder = 'n3';
  for (const deadline = Date.now() + 30_000; holder === 'n3' && Date.now() < deadline; await sleep(100)) holder = (await lab('holder')).stdout.trim();
  const movedMs = Date.now() - lostAt;
  const lossGoneMs = Number(await watchingLoss.catch(() => NaN)) - lostAt;
  t.ok(Number.isFinite(lossGoneMs), `n3's members are gone from the lists of the ${elsewhere.length} members elsewhere ${lossGoneMs} ms after the loss`);
  const healed = await untilExact(6, 180_000);
  const healedMs = Date.now() - lostAt;
  await sleep(3_000);
  await Promise.all([direct.stop(), viaVip.stop()]);
  t.ok(holder === 'n1' || holder === 'n2', `the VIP moved to ${holder} (seen within ${movedMs} ms)`);
  t.equal(healed.ips.length, 6, `6 members run on n1 and n2 and every list is exact ${healedMs} ms after the loss`);
  t.same(direct.failed, [], `no request to n1's balancer failed: ${direct.answered} answered 200`);
  t.ok(viaVip.failed.length <= clients, `through the VIP at most one request per client failed (in flight on n3): ${viaVip.failed.length} of ${viaVip.answered + viaVip.failed.length}${viaVip.failed.length ? `: ${viaVip.failed.slice(0, 3).join('; ')}` : ''}`);
  t.comment(`node lost, through n1: ${summary(direct)}`);
  t.comment(`node lost, through the VIP: ${summary(viaVip)}; no answer for ${longestSilence(viaVip.answeredAt, lostAt)} ms after the loss at most`);
  t.comment(`node lost: its members gone from every list ${lossGoneMs} ms after it, exact lists again (replacements in) ${healedMs} ms after it`);
  for (const line of await chain(lostAt)) t.comment(line);

  // Quorum lost: n2 lost too, n1 is the one manager of three left. Swarm can change nothing
  // (no leader), and n1's balancer goes on serving with the last good lists: n2's members
  // leave its rotation by their failed checks, not by Swarm.
  const lastStand = steadyLoad(`${SUBNET}.11`, PORT, 2);
  await sleep(2_000);
  const quorumLostAt = Date.now();
  await lab('lose', 'n2');
  let leaderless = '';
  for (const deadline = Date.now() + 60_000; !leaderless && Date.now() < deadline; await sleep(1_000)) {
    leaderless = await onNode('n1', ['node', 'ls']).then(() => '', (e: Error) => (/leader|quorum/i.test(e.message) ? e.message.split('\n').find((l) => /leader|quorum/i.test(l)) ?? e.message : ''));
  }
  t.ok(leaderless, `the Swarm lost its quorum: ${leaderless.trim().slice(0, 120)}`);
  await sleep(10_000);
  await lastStand.stop();
  const lateAnswers = lastStand.answeredAt.filter((at) => at > Date.now() - 8_000).length;
  t.ok(lateAnswers > 0, `n1's balancer still answers without a quorum (${lateAnswers} answers in the last 8 s)`);
  t.ok(lastStand.failed.length <= 3, `at most one request per client failed through n1 (in flight on n2): ${lastStand.failed.length}${lastStand.failed.length ? `: ${lastStand.failed.slice(0, 3).join('; ')}` : ''}`);
  t.comment(`quorum lost, through n1: ${summary(lastStand)}; no answer for ${longestSilence(lastStand.answeredAt, quorumLostAt)} ms after the loss at most`);

  t.comment(`total before teardown: ${Date.now() - began} ms`);

  await lab('down');
  down = true;
  t.same(await labLeftovers(LAB), [], 'down leaves no namespace, link, rule, mount, process or folder');
});
