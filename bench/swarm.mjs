// fleet's Swarm mode (deploy/swarm/stack.yaml) on the three-manager lab of
// scripts/swarm-lab.sh, a lab of this run's own name and subnet, 6 members spread over the
// nodes, an agent on each node and a balancer on each (edge) node. Measured, in this order:
//   death        `docker kill` of a member (on n1, n2, n3 in turn) → its address gone from
//                every other member's list, as a probe on the overlay reads them (a bash loop)
//   replacement  the same kill → its replacement's address in every other member's list; and
//                6 members run again (health checks passed) and every one lists exactly them
//   scale        `docker service scale` 6 → 30 → every member lists exactly the 30; and back
//   update       Swarm's rolling update of the 6 members (a new tag of the same image) under
//                load through n1's and n2's balancers: until UpdateStatus is completed, and
//                the requests that failed
//   node lost    keepalived on every node, n3 holding the VIP; `swarm-lab.sh lose n3` under a
//                request on a new connection to the VIP every BENCH_GAP_MS: the longest time
//                no request was answered after the loss, the failed requests, and when the
//                VIP was seen on another node, when n3's members left every other list and
//                when the lists were exact again (once, last: the node does not come back)
// Knobs: BENCH_REPS (5: deaths), BENCH_SCALE_REPS (2), BENCH_SCALE_TO (30), BENCH_SCALE_MS
// (300000: how long a scale up may take), BENCH_GAP_MS (20), BENCH_TIMEOUT_MS (2000: each
// request through the VIP), FLEET_IMAGE (fleet-nginx:offline), BENCH_FLEET_IMAGE (fleet:twin).
// p50 over the repetitions, with min and max; the way one death went through the stack (the
// balancers' and agents' log lines) goes to stderr.
//   sudo BENCH_REPS=3 npm run bench:swarm          (root: namespaces, a bridge, dockerd)
// Needs the images fleet-nginx:offline and fleet:twin (npm run image:offline && npm run
// image:twins) and keepalived. The lab is taken down at the end, on failure and on SIGINT/SIGTERM.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { fmt, median, table } from './lib/stats.mjs';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const LAB_SCRIPT = path.join(ROOT, 'scripts', 'swarm-lab.sh');
const STACK_FILE = path.join(ROOT, 'deploy', 'swarm', 'stack.yaml');
const REPS = Number(process.env.BENCH_REPS ?? 5);
const SCALE_REPS = Number(process.env.BENCH_SCALE_REPS ?? 2);
const SCALE_TO = Number(process.env.BENCH_SCALE_TO ?? 30);
const SCALE_MS = Number(process.env.BENCH_SCALE_MS ?? 300_000);
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 20);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 2000);
const MEMBER_IMAGE = process.env.FLEET_IMAGE ?? 'fleet-nginx:offline';
const FLEET_IMAGE = process.env.BENCH_FLEET_IMAGE ?? 'fleet:twin';
const LAB = `bsw${process.pid.toString(36)}`.slice(0, 10);
const SUBNET = `10.233.${1 + (process.pid % 250)}`;
const STACK = 'web';
const PORT = 18080;
const MEMBERS = 6;
const NODES = ['n1', 'n2', 'n3'];
const PROBE = 'fleet-probe';
const env = { ...process.env, FLEET_LAB: LAB, FLEET_LAB_SUBNET: SUBNET };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (text) => console.error(`swarm: ${text}`);
const running = new Set();

/** A promisified execFile whose child is killed on SIGINT/SIGTERM. */
function spawn(file, args, options, input) {
  const p = run(file, args, { maxBuffer: 16 * 1024 * 1024, ...options });
  running.add(p.child);
  p.child.on('exit', () => running.delete(p.child));
  if (input !== undefined) p.child.stdin?.end(input);
  return p;
}

const lab = async (...args) => (await spawn(LAB_SCRIPT, args, { env, timeout: 300_000 })).stdout.trim();
const labDown = () => execFileSync(LAB_SCRIPT, ['down'], { env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
const nodeEnv = (node, extra = {}) => ({ ...env, ...extra, DOCKER_HOST: `unix:///run/${LAB}/${node}/docker.sock` });
const onNode = async (node, args, extra = {}, input) => (await spawn('docker', args, { env: nodeEnv(node, extra), timeout: 120_000 }, input)).stdout.trim();
const lines = (text) => text.split('\n').filter(Boolean);

/** The overlay addresses of the members' tasks Swarm runs, from a manager, sorted. */
async function runningIps() {
  const ids = lines(await onNode('n1', ['service', 'ps', `${STACK}_members`, '-q', '--filter', 'desired-state=running']));
  if (!ids.length) return [];
  const out = await onNode('n1', ['inspect', '--type', 'task', '--format', `{{.Status.State}}{{range .NetworksAttachments}}{{if eq .Network.Spec.Name "${STACK}_fleet"}} {{index .Addresses 0}}{{end}}{{end}}`, ...ids]);
  return lines(out).filter((l) => l.startsWith('running ')).map((l) => l.split(' ')[1].split('/')[0]).sort();
}

/** The running containers of the stack's `service` on `node` that Swarm wants running. */
async function containersOf(node, service) {
  const tasks = lines(await onNode('n1', ['service', 'ps', '-q', '--filter', 'desired-state=running', '--filter', `node=${LAB}-${node}`, `${STACK}_${service}`]));
  if (!tasks.length) return [];
  const out = await onNode('n1', ['inspect', '--type', 'task', '--format', '{{.Status.State}} {{.Status.ContainerStatus.ContainerID}}', ...tasks]);
  return lines(out).filter((l) => l.startsWith('running ')).map((l) => l.split(' ')[1]);
}

const overlayIp = (node, id) => onNode(node, ['inspect', '--format', `{{(index .NetworkSettings.Networks "${STACK}_fleet").IPAddress}}`, id]);

/** The probe's two scripts (scripts/swarm-probe): each member's list, and a wait until addresses leave every list. */
const FETCH = fs.readFileSync(path.join(ROOT, 'scripts', 'swarm-probe', 'fetch.sh'), 'utf8');
const UNTIL_GONE = fs.readFileSync(path.join(ROOT, 'scripts', 'swarm-probe', 'until-gone.sh'), 'utf8');
const UNTIL_NEW = fs.readFileSync(path.join(ROOT, 'scripts', 'swarm-probe', 'until-new.sh'), 'utf8');

async function listsOf(ips) {
  const out = await onNode('n1', ['exec', PROBE, 'bash', '-c', FETCH, 'fetch', ...ips]).catch(() => '');
  const lists = new Map();
  for (const line of lines(out)) {
    const [ip, list] = line.split(' ');
    lists.set(ip, list === '(none)' ? [] : list.split(',').sort());
  }
  return lists;
}

/** Resolves once `count` members run and every one lists exactly them; rejects after `ms`. */
async function untilExact(count, ms) {
  const start = Date.now();
  let detail = '';
  for (const deadline = start + ms; Date.now() < deadline; await sleep(500)) {
    const ips = await runningIps().catch(() => []);
    if (ips.length !== count) {
      detail = `${ips.length} of ${count} members running`;
      continue;
    }
    const lists = await listsOf(ips);
    const wrong = ips.filter((ip) => lists.get(ip)?.join() !== ips.join());
    if (wrong.length === 0) return { ips, ms: Date.now() - start };
    detail = `${wrong.length} of ${count} list otherwise`;
  }
  // What became of the members' tasks, for whoever reads the failure.
  const tasks = await onNode('n1', ['service', 'ps', '--format', '{{.DesiredState}} {{.CurrentState}} {{.Error}}', `${STACK}_members`]).catch(() => '');
  const counts = new Map();
  for (const line of lines(tasks)) {
    const key = line.replace(/ (less than|about|\d+) .*? ago/, '').trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  throw new Error(`the lists did not become exact with ${count} members within ${ms} ms: ${detail}; tasks: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`);
}

/**
 * Kills `victim` on `node`: when it was killed, ms until the probe saw its address gone from
 * every other list, and ms until every other list named one new address, its replacement's
 * (NaN: not within 30 s, 60 s).
 */
async function killAndTime(node, victim) {
  const ip = await overlayIp(node, victim);
  const before = await runningIps();
  const others = before.filter((other) => other !== ip);
  const watching = onNode('n1', ['exec', PROBE, 'timeout', '30', 'bash', '-c', UNTIL_GONE, 'until-gone', ip, ...others]).then(Number, () => NaN);
  const listing = onNode('n1', ['exec', PROBE, 'timeout', '60', 'bash', '-c', UNTIL_NEW, 'until-new', [...before, ip].join(','), ...others]).then((out) => Number(out.split(' ')[0]), () => NaN);
  await sleep(1_000); // the watches run before the kill
  const killedAt = Date.now();
  await onNode(node, ['kill', victim]);
  return { killedAt, goneMs: (await watching) - killedAt, listedMs: (await listing) - killedAt, ip };
}

async function updateState() {
  return onNode('n1', ['service', 'inspect', '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}', `${STACK}_members`]);
}

/** How a death went through the stack, from the balancers' and agents' logs: each step's ms after `since`. */
async function chain(since) {
  const steps = [];
  const wanted = /member\.died|member\.state|list\.changed|agent\.list |agent\.member_died|agent\.push_failed|agent\.dropped|agent\.gone|swarm\.observe_failed/;
  await Promise.all(
    NODES.flatMap((node) =>
      ['balancer', 'agent'].map(async (service) => {
        const ids = lines(await onNode(node, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${STACK}_${service}`]).catch(() => ''));
        for (const id of ids) {
          const { stdout, stderr } = await spawn('docker', ['logs', '--since', new Date(since - 1_000).toISOString(), id], { env: nodeEnv(node), timeout: 60_000 }).catch(() => ({ stdout: '', stderr: '' }));
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

/** One GET /: resolves with the status (0: no answer within `timeoutMs`). */
/** GET / of a balancer: '200', or what went wrong (the status and the first line of the body, or the error). */
function get(host, agent, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get({ host, port: PORT, path: '/', timeout: timeoutMs, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? '200' : `${res.statusCode} ${body.split('\n')[0].slice(0, 120)}`));
      res.on('error', (error) => resolve(`response: ${error.message}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve(error.message));
  });
}

/** Clients of a balancer until stopped: two on kept-alive connections and one on a new connection a request, a 20 ms pause each, a minute to answer. */
function steadyLoad(host) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const load = { answered: 0, failed: 0, reasons: [] };
  let going = true;
  const client = async (through) => {
    while (going) {
      const outcome = await get(host, through, 60_000);
      if (outcome === '200') load.answered++;
      else {
        load.failed++;
        load.reasons.push(`${new Date().toISOString()} ${outcome}`);
      }
      await sleep(20);
    }
  };
  const clients = [client(agent), client(agent), client(false)];
  load.stop = async () => {
    going = false;
    await Promise.all(clients);
    agent.destroy();
  };
  return load;
}

/** A request on a new connection every GAP_MS, each given TIMEOUT_MS, until stopped: when each was sent and answered. */
function stream(host) {
  const results = [];
  let going = true;
  const done = (async () => {
    const inflight = new Set();
    while (going) {
      const sent = Date.now();
      const p = get(host, false, TIMEOUT_MS).then((status) => results.push({ sent, ok: status === '200', at: Date.now() }));
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      await sleep(GAP_MS);
    }
    await Promise.all(inflight);
  })();
  return { results, stop: async () => { going = false; await done; } };
}

// The lab goes down whatever happens.
let labMade = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    say(`${signal}: taking lab ${LAB} down`);
    for (const child of running) child.kill('SIGTERM');
    if (labMade) {
      try {
        labDown();
      } catch (error) {
        say(`down failed: ${error.message}`);
      }
    }
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}

if (process.getuid?.() !== 0) {
  console.error('bench/swarm.mjs needs root (the lab: network namespaces, a bridge, dockerd)');
  process.exit(1);
}
for (const image of [MEMBER_IMAGE, FLEET_IMAGE]) {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' });
  } catch {
    console.error(`image ${image} is missing: npm run image:offline && npm run image:twins`);
    process.exit(1);
  }
}

const rows = [];
const errors = [];
const ms = (v) => (Number.isFinite(v) ? `${fmt(v)} ms` : '-');
/** A table row of ms figures: p50, min, max, how many. */
function row(what, values, reps = values.length) {
  const ok = values.filter(Number.isFinite);
  rows.push([what, ms(median(ok)), ms(ok.length ? Math.min(...ok) : NaN), ms(ok.length ? Math.max(...ok) : NaN), ok.length === reps ? reps : `${ok.length} of ${reps}`]);
}
/** Runs one part; a failure is said and the next part tried. */
async function part(name, fn) {
  try {
    await fn();
  } catch (error) {
    errors.push(`${name}: ${error.message}`);
    say(`${name} FAILED: ${error.message}`);
  }
}

const began = Date.now();
const load0 = execFileSync('uptime', { encoding: 'utf8' }).trim();
say(`lab ${LAB} on ${SUBNET}.0/24; ${load0}`);
try {
  labMade = true;
  let t0 = Date.now();
  await lab('up', MEMBER_IMAGE, FLEET_IMAGE);
  const upMs = Date.now() - t0;
  await onNode('n1', ['secret', 'create', 'fleet-agent', '-'], {}, `bench-${LAB}-${Date.now()}-0123456789abcdef\n`);
  for (const node of NODES) await onNode('n1', ['node', 'update', '--label-add', 'fleet.edge=true', `${LAB}-${node}`]);
  t0 = Date.now();
  await onNode('n1', ['stack', 'deploy', '--resolve-image', 'never', '-c', STACK_FILE, STACK], {
    FLEET_STACK: STACK,
    FLEET_IMAGE,
    FLEET_MEMBER_IMAGE: MEMBER_IMAGE,
    FLEET_REPLICAS: String(MEMBERS),
    FLEET_PORT: String(PORT),
    FLEET_DOCKER_SOCKET: `/run/${LAB}/{{.Node.Hostname}}.sock`,
  });
  await onNode('n1', ['run', '-d', '--name', PROBE, '--network', `${STACK}_fleet`, '--entrypoint', 'sleep', MEMBER_IMAGE, 'infinity']);
  await untilExact(MEMBERS, 300_000);
  const deployMs = Date.now() - t0;
  say(`lab up ${fmt(upMs / 1000, 1)} s, deploy → ${MEMBERS} members, every list exact ${fmt(deployMs / 1000, 1)} s`);
  row('lab up (3 nodes, images loaded)', [upMs]);
  row(`stack deploy → ${MEMBERS} members, every list exact`, [deployMs]);

  await part('death', async () => {
    const gone = [];
    const listed = [];
    const replaced = [];
    for (let i = 0; i < REPS; i++) {
      let node;
      let victim;
      for (let k = 0; k < NODES.length && !victim; k++) {
        node = NODES[(i + k) % NODES.length];
        [victim] = await containersOf(node, 'members');
      }
      if (!victim) throw new Error('no running member on any node');
      const { killedAt, goneMs, listedMs, ip } = await killAndTime(node, victim);
      await untilExact(MEMBERS, 180_000);
      const replacedMs = Date.now() - killedAt;
      say(`death #${i + 1}: ${ip} on ${node}: gone from every list ${ms(goneMs)}, replacement in every list ${ms(listedMs)}, its task running (health check passed) and every list exact ${ms(replacedMs)}`);
      if (i === 0) for (const line of await chain(killedAt)) say(`  ${line}`);
      gone.push(goneMs);
      listed.push(listedMs);
      replaced.push(replacedMs);
    }
    row(`death: address gone from every list (${MEMBERS} members)`, gone, REPS);
    row(`death: replacement listed by every other member`, listed, REPS);
    row(`death: replacement running (health check passed), every list exact`, replaced, REPS);
  });

  await part('scale', async () => {
    const upTimes = [];
    const downTimes = [];
    let failure;
    for (let i = 0; i < SCALE_REPS && !failure; i++) {
      let at = Date.now();
      await onNode('n1', ['service', 'scale', '--detach', `${STACK}_members=${SCALE_TO}`]);
      try {
        await untilExact(SCALE_TO, SCALE_MS);
        upTimes.push(Date.now() - at);
      } catch (error) {
        failure = error;
        upTimes.push(NaN);
      }
      // Back to 6 whatever happened: the parts after this one need them.
      at = Date.now();
      await onNode('n1', ['service', 'scale', '--detach', `${STACK}_members=${MEMBERS}`]);
      await untilExact(MEMBERS, 300_000);
      downTimes.push(Date.now() - at);
      say(`scale #${i + 1}: ${MEMBERS} → ${SCALE_TO} ${failure ? `FAILED (${failure.message})` : ms(upTimes.at(-1))}, back ${ms(downTimes.at(-1))}`);
    }
    row(`scale ${MEMBERS} → ${SCALE_TO}: every list exact`, upTimes);
    row(`scale ${SCALE_TO} → ${MEMBERS}: every list exact`, downTimes);
    if (failure) throw failure;
  });

  await part('rolling update', async () => {
    const tag = `${MEMBER_IMAGE.split(':')[0]}:bench-v1`;
    for (const node of NODES) await onNode(node, ['tag', MEMBER_IMAGE, tag]);
    const loads = [steadyLoad(`${SUBNET}.11`), steadyLoad(`${SUBNET}.12`)];
    await sleep(1_000);
    const at = Date.now();
    await onNode('n1', ['service', 'update', '--detach', '--no-resolve-image', '--image', tag, `${STACK}_members`]);
    let state = '';
    for (const deadline = at + 600_000; Date.now() < deadline && !['completed', 'paused', 'rollback_completed', 'rollback_paused'].includes(state); await sleep(500)) {
      state = await updateState().catch(() => state);
    }
    const updateMs = Date.now() - at;
    const exact = await untilExact(MEMBERS, 180_000).catch((error) => ({ ms: NaN, error }));
    await Promise.all(loads.map((l) => l.stop()));
    const failed = loads.reduce((n, l) => n + l.failed, 0);
    const total = failed + loads.reduce((n, l) => n + l.answered, 0);
    const reasons = loads.flatMap((l) => l.reasons).slice(0, 5);
    say(`rolling update: ${state} after ${ms(updateMs)}, every list exact ${ms(exact.ms)} after that; ${failed} of ${total} requests failed (n1 ${loads[0].failed}/${loads[0].failed + loads[0].answered}, n2 ${loads[1].failed}/${loads[1].failed + loads[1].answered})${reasons.length ? `: ${reasons.join('; ')}` : ''}`);
    if (state !== 'completed') throw new Error(`the update is "${state}" after ${updateMs} ms`);
    row(`rolling update of ${MEMBERS} under load: until completed`, [updateMs]);
    rows.push([`rolling update: requests failed through 2 balancers`, `${failed} of ${total}`, '-', '-', 1]);
    if (exact.error) throw exact.error;
  });

  await part('node lost', async () => {
    await lab('vrrp', String(PORT), 'n3');
    const vip = await lab('vip');
    const flow = stream(vip);
    // n3's members, and a watch on the others' lists until none names them.
    const lostIps = await Promise.all((await containersOf('n3', 'members')).map((id) => overlayIp('n3', id)));
    const others = (await runningIps()).filter((ip) => !lostIps.includes(ip));
    const watching = lostIps.length ? onNode('n1', ['exec', PROBE, 'timeout', '90', 'bash', '-c', UNTIL_GONE, 'until-gone', lostIps.join(','), ...others]).then(Number, () => NaN) : Promise.resolve(NaN);
    await sleep(3_000);
    const lostAt = Date.now();
    // The holder is watched while `lose` runs (it takes a while on a busy host).
    let lostMs = NaN;
    const losing = lab('lose', 'n3').then(() => (lostMs = Date.now() - lostAt));
    let holder = 'n3';
    for (const deadline = lostAt + 30_000; (holder === 'n3' || holder === 'none') && Date.now() < deadline; await sleep(100)) holder = await lab('holder');
    const movedMs = Date.now() - lostAt;
    await losing;
    await sleep(5_000);
    await flow.stop();
    const goneMs = (await watching) - lostAt;
    const exact = await untilExact(MEMBERS, 180_000).then(() => Date.now() - lostAt, () => NaN);
    // Every request that ended after the loss: those in flight at the loss too.
    const ended = flow.results.filter((r) => r.at >= lostAt);
    const failed = ended.filter((r) => !r.ok).length;
    // The longest time without an answer, from the loss on.
    let silence = 0;
    let last = lostAt;
    for (const at of flow.results.filter((r) => r.ok && r.at >= lostAt).map((r) => r.at).sort((a, b) => a - b)) {
      silence = Math.max(silence, at - last);
      last = at;
    }
    const failedSent = ended.filter((r) => !r.ok).map((r) => r.sent - lostAt);
    const spread = failedSent.length ? `, sent from ${fmt(Math.min(...failedSent))} to ${fmt(Math.max(...failedSent))} ms after the loss` : '';
    say(`node lost: \`lose n3\` took ${ms(lostMs)}; VIP n3 → ${holder} seen ${ms(movedMs)} after the loss; no answer for ${ms(silence)} at most; ${failed} of ${ended.length} requests ending after the loss failed${spread}; n3's members (${lostIps.join(', ')}) gone from every list ${ms(goneMs)} after the loss, every list exact with replacements ${ms(exact)}`);
    if (holder === 'n3' || holder === 'none') throw new Error(`the VIP did not move within 30 s (${holder})`);
    row('node lost (n3, VIP holder): no answer through the VIP', [silence]);
    rows.push([`node lost: requests failed (new connection every ${GAP_MS} ms, ${TIMEOUT_MS} ms each)`, `${failed} of ${ended.length}`, '-', '-', 1]);
    row('node lost: VIP seen on another node', [movedMs]);
    row("node lost: its members gone from every other member's list", [goneMs]);
    row('node lost: replacements in, every list exact', [exact]);
  });
} finally {
  try {
    labDown();
  } catch (error) {
    errors.push(`down: ${error.message}`);
  }
  labMade = false;
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(`${LAB}-`));
  say(`lab ${LAB} down${left.length ? `, but namespaces are left: ${left.join(', ')}` : ''}; ${fmt((Date.now() - began) / 1000)} s in all`);
}

console.log(`fleet's Swarm mode on scripts/swarm-lab.sh (3 managers), ${MEMBERS} members, BENCH_REPS=${REPS}, BENCH_SCALE_REPS=${SCALE_REPS}; at the start: ${load0}\n`);
console.log(table(['what', 'p50', 'min', 'max', 'reps'], rows));
if (errors.length) {
  console.log(`\nfailed: ${errors.join('; ')}`);
  process.exitCode = 1;
}
