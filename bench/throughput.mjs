// Throughput benchmark: the fleet daemon's balancer, with 1 and with 2 worker processes,
// against HAProxy with as many threads, over the same members in one run, with one nginx
// direct as the ceiling.
//
// One set of BENCH_MEMBERS (3) members, started by the first fleet daemon. Every fleet
// variant (a build and a worker count) serves them in turn: the running daemon is killed
// (SIGKILL, its workers follow) and the next one adopts the same containers on the same
// port. HAProxy (Debian's, /usr/sbin/haproxy, its defaults plus health checks and
// X-Forwarded-For like the daemon) balances round robin over the same member IPs, once per
// thread count. wrk (-t2 --latency) runs against each side at each load in turn, sides
// interleaved for BENCH_ROUNDS rounds; every fresh daemon and, in round 1, every other side
// is warmed up first. Around each wrk run the CPU time (utime + stime from /proc) of the
// balancer's processes (the primary and all its workers; haproxy's process), of the members'
// cgroups and of the whole host is read, and given per request. The report gives medians
// over the rounds and the ratios to HAProxy with as many threads as the fleet has workers.
//
// Environment:
//   BENCH_FLEETS       label=path,... fleet builds (bin/fleet launcher or .cjs bundle; default
//                      fleet=FLEET_BIN or bin/fleet), e.g. before=../base/bin/fleet,after=bin/fleet
//   BENCH_WORKERS      1,2   worker counts (and HAProxy nbthread values)
//   BENCH_CONNECTIONS  64,256  wrk -c values, one table each
//   BENCH_ACCESS_LOG   on,off  phases: members as shipped, and from a throwaway image built
//                      FROM the member image with the access log off (members run on a
//                      read-only root, so their config can't be edited in place)
//   BENCH_MEMBERS (3), BENCH_ROUNDS (3), BENCH_DURATION (10s), BENCH_THREADS (2),
//   BENCH_WARMUP (3s), HAPROXY (/usr/sbin/haproxy), WRK (wrk), BENCH_JSON (raw samples),
//   FLEET_IMAGE, FLEET_LOG_LEVEL; FLEET_WORKER_NODE_ARGS reaches the daemons' workers
//   (`--cpu-prof --cpu-prof-dir=DIR` profiles them).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { listMembers, sortIps } from './lib/docker.mjs';
import { TICK_MS, cgroupCpu, hostTicks, ticksOf } from './lib/cpu.mjs';
import { cleanup, down, envList, fleetsFromEnv, freePort, installSignalHandlers, onCleanup, status, up, IMAGE } from './lib/fleet.mjs';
import { closeAgent, get, memberUrl, parseList } from './lib/http.mjs';
import { haproxyVersion, startHaproxy } from './lib/haproxy.mjs';
import { processes } from './lib/proc.mjs';
import { fmt, median, table } from './lib/stats.mjs';
import { run } from './lib/run.mjs';

const MEMBERS = Number(process.env.BENCH_MEMBERS || 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const DURATION = process.env.BENCH_DURATION || '10s';
const WARMUP = process.env.BENCH_WARMUP || '3s';
const THREADS = Number(process.env.BENCH_THREADS || 2);
const LOADS = envList(process.env.BENCH_CONNECTIONS, '64,256').map(Number);
const WORKERS = envList(process.env.BENCH_WORKERS, '1,2').map(Number);
const PHASES = envList(process.env.BENCH_ACCESS_LOG, 'on,off');
const WRK = process.env.WRK || 'wrk';
const FLEETS = fleetsFromEnv();

const log = (msg) => process.stderr.write(`[throughput ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** The member image with `access_log off`, tagged for this run and removed at cleanup. */
async function accessLogOffImage(base) {
  const tag = `fleet-nginx:bench-nolog-${process.pid}`;
  const dockerfile = [
    `FROM ${base}`,
    'USER 0',
    "RUN sed -i 's#access_log /dev/stdout fleet;#access_log off;#' /etc/nginx/nginx.conf && grep -q 'access_log off;' /etc/nginx/nginx.conf",
    'USER 10101:10101',
    '',
  ].join('\n');
  await new Promise((resolve, reject) => {
    const child = spawn('docker', ['build', '-q', '--label', `fleet.bench=${process.pid}`, '-t', tag, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker build of ${tag} failed: ${stderr.trim()}`))));
    child.stdin.end(dockerfile);
  });
  onCleanup(() => run('docker', ['rmi', tag], 60_000));
  return tag;
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const toMs = (value, unit) => Number(value) * UNIT_MS[unit];

/** The figures of one wrk run. */
export function parseWrk(text) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\b/m.exec(text);
  const p50 = /^\s*50%\s+([\d.]+)(us|ms|s|m)\b/m.exec(text);
  const total = Number(/(\d+) requests in/.exec(text)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = sock ? sock.slice(1).reduce((a, v) => a + Number(v), 0) : 0;
  return { rps, p99Ms: p99 ? toMs(p99[1], p99[2]) : NaN, p50Ms: p50 ? toMs(p50[1], p50[2]) : NaN, total, non2xx, socketErrors };
}

function wrk(url, duration, connections) {
  const args = [`-t${THREADS}`, `-c${connections}`, `-d${duration}`, '--latency', '--timeout', '5s', url];
  return run(WRK, args, 120_000).then(parseWrk);
}

/** A process and every process below it (a fleet daemon's workers). */
function tree(root) {
  const parent = new Map();
  for (const { pid } of processes()) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const pids = [root];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parent) if (ppid === pids[i]) pids.push(pid);
  return pids;
}

/** CPU readings of the balancer's processes, the members' cgroups and the host. */
function reading(pids, ids) {
  return {
    balancerMs: pids.reduce((a, pid) => a + ticksOf(pid), 0) * TICK_MS,
    primaryMs: ticksOf(pids[0] ?? 0) * TICK_MS,
    membersMs: ids.reduce((a, id) => a + cgroupCpu(id).ns, 0) / 1e6,
    hostMs: hostTicks().busy * TICK_MS,
  };
}

/** Measures one side at one load: wrk's figures and CPU microseconds per request. */
async function measure(side, connections, ids) {
  const pids = side.pids();
  const before = reading(pids, ids);
  const r = await wrk(side.url, DURATION, connections);
  const after = reading(pids, ids);
  const per = (key) => ((after[key] - before[key]) * 1000) / r.total;
  return { ...r, balancerUs: per('balancerMs'), primaryUs: per('primaryMs'), membersUs: per('membersMs'), hostUs: per('hostMs'), processes: pids.length };
}

/** Every side must answer 200 with exactly the members' list before it is measured. */
async function check(label, url, ips) {
  for (let i = 0; i < 3 * ips.length; i++) {
    const r = await get(url, { timeoutMs: 2_000 });
    if (r.status !== 200 || parseList(r.body).join(',') !== ips.join(',')) throw new Error(`${label} (${url}) answered ${r.status} ${JSON.stringify(r.body)}, not the list ${ips.join(',')}`);
  }
}

function portFree(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** One phase: members with the access log on or off, every side, every load, every round. */
async function phase(accessLog, dir) {
  const name = `bench-${process.pid}-tp-${accessLog}`;
  const image = accessLog === 'off' ? await accessLogOffImage(IMAGE) : IMAGE;
  const port = await freePort();
  const results = [];
  let daemon;
  let current;
  let ids = [];
  let ips = [];

  // The daemon of one variant serving the phase's members: the previous one is killed and
  // this one adopts them.
  const serve = async (variant) => {
    if (current === variant) return;
    if (daemon) {
      daemon.child.kill('SIGKILL');
      await daemon.exitedPromise;
      for (let i = 0; i < 100 && !(await portFree(port)); i++) await sleep(100);
    }
    current = variant;
    log(`${name}: ${variant.label} (${daemon ? 'adopting' : 'starting'} ${MEMBERS} members on 127.0.0.1:${port})`);
    daemon = await up({ name, replicas: MEMBERS, port, side: variant.fleet.side, image, extra: ['--workers', String(variant.workers), '--admin-port', String(await freePort())] });
    for (let i = 0; i < 150; i++) {
      const st = await status(name, variant.fleet.side);
      const serving = (st.workers ?? []).filter((w) => w.state === 'serving').length;
      if (st.members.length === MEMBERS && st.members.every((m) => m.healthy && m.state === 'up') && serving === variant.workers) break;
      await sleep(200);
    }
    const members = (await listMembers(name)).filter((m) => m.running && m.ip);
    if (ids.length === 0) {
      ids = members.map((m) => m.id);
      ips = sortIps(members.map((m) => m.ip));
      log(`members: ${ips.join(' ')}`);
    } else if (members.map((m) => m.id).sort().join() !== [...ids].sort().join()) {
      throw new Error(`${variant.label} runs other members than the first daemon: ${members.map((m) => m.name).join(' ')}`);
    }
    await check(variant.label, variant.url, ips);
    await wrk(variant.url, WARMUP, LOADS[0]);
  };

  try {
    const sides = [];
    for (const fleet of FLEETS) {
      for (const workers of WORKERS) {
        sides.push({ kind: 'fleet', label: `${fleet.label} ${workers}w`, fleet, workers, threads: workers, url: `http://127.0.0.1:${port}/`, pids: () => tree(daemon.child.pid) });
      }
    }
    await serve(sides[0]);
    for (const threads of WORKERS) {
      const h = await startHaproxy(dir, `${name}-haproxy-${threads}`, ips, threads);
      sides.push({ kind: 'haproxy', label: `haproxy nbthread ${threads}`, threads, url: h.url, pids: () => [h.pid] });
    }
    sides.push({ kind: 'direct', label: 'direct (one nginx)', url: memberUrl(ips[0]), pids: () => [] });
    for (const side of sides.filter((s) => s.kind !== 'fleet')) await check(side.label, side.url, ips);
    closeAgent();

    for (let round = 1; round <= ROUNDS; round++) {
      for (const side of sides) {
        if (side.kind === 'fleet') await serve(side);
        else if (round === 1) await wrk(side.url, WARMUP, LOADS[0]);
        for (const connections of LOADS) {
          const r = await measure(side, connections, ids);
          results.push({ accessLog, round, side: side.label, kind: side.kind, threads: side.threads, connections, ...r });
          log(
            `log ${accessLog} round ${round}/${ROUNDS} -c${connections} ${side.label}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms, ` +
              `errors ${r.non2xx}/${r.socketErrors}, balancer ${fmt(r.balancerUs, 1)} µs/req (${r.processes} processes; first ${fmt(r.primaryUs, 1)}), members ${fmt(r.membersUs, 1)}, host ${fmt(r.hostUs, 1)}`,
          );
          await sleep(1_000);
        }
      }
    }
    const st = await status(name, current.fleet.side);
    const after = `${st.members.filter((m) => m.healthy).length}/${st.members.length} members healthy after the runs`;
    return { accessLog, image, ips, results, after };
  } finally {
    await down(name).catch((e) => log(`down: ${e}`));
  }
}

function report(phaseResult) {
  const { accessLog, results, ips, image, after } = phaseResult;
  const out = [`## members' access log ${accessLog} (${image}; ${ips.join(', ')}); ${after}`, ''];
  for (const connections of LOADS) {
    const rs = results.filter((r) => r.connections === connections);
    const labels = [...new Set(rs.map((r) => r.side))];
    const of = (label) => rs.filter((r) => r.side === label);
    const med = (label, key) => median(of(label).map((r) => r[key]));
    out.push(`### wrk -t${THREADS} -c${connections} -d${DURATION}`, '');
    out.push(
      table(
        ['side', 'median req/s', 'req/s per round', 'p50 ms', 'p99 ms', 'errors (non-2xx/socket)', 'balancer CPU µs/req', 'members CPU µs/req', 'host CPU µs/req'],
        labels.map((label) => [
          label,
          fmt(med(label, 'rps')),
          of(label).map((r) => fmt(r.rps)).join(' / '),
          fmt(med(label, 'p50Ms'), 2),
          fmt(med(label, 'p99Ms'), 2),
          `${of(label).reduce((a, r) => a + r.non2xx, 0)}/${of(label).reduce((a, r) => a + r.socketErrors, 0)}`,
          of(label)[0].kind === 'direct' ? '-' : fmt(med(label, 'balancerUs'), 1),
          fmt(med(label, 'membersUs'), 1),
          fmt(med(label, 'hostUs'), 1),
        ]),
      ),
      '',
    );
    const ratioRows = [];
    for (const label of labels.filter((l) => of(l)[0].kind === 'fleet')) {
      const threads = of(label)[0].threads;
      const h = `haproxy nbthread ${threads}`;
      if (of(h).length === 0) continue;
      const rps = med(label, 'rps') / med(h, 'rps');
      const p99 = med(label, 'p99Ms') / med(h, 'p99Ms');
      const cpu = med(label, 'balancerUs') / med(h, 'balancerUs');
      const perRound = of(label).map((r) => r.rps / (of(h).find((x) => x.round === r.round)?.rps ?? NaN));
      const met = rps >= 0.6 && p99 <= 2 && cpu <= 3;
      ratioRows.push([`${label} / ${h}`, fmt(rps, 2), perRound.map((v) => fmt(v, 2)).join(' / '), fmt(p99, 2), fmt(cpu, 2), met ? 'met' : 'not met']);
    }
    out.push(table(['ratio', 'req/s (medians)', 'req/s per round', 'p99', 'CPU per request', 'goal (≥ 0.6, p99 ≤ 2×, CPU ≤ 3×)'], ratioRows), '');
  }
  return out.join('\n');
}

async function main() {
  installSignalHandlers();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const phases = [];
  try {
    for (const accessLog of PHASES) phases.push(await phase(accessLog, dir));
  } finally {
    await cleanup();
    closeAgent();
  }
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(phases, null, 2));
  const haproxy = await haproxyVersion();
  const lines = [
    `# fleet balancer throughput, ${new Date().toISOString()}`,
    `host: ${os.hostname()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, ${haproxy}, image ${IMAGE}`,
    `fleets: ${FLEETS.map((f) => `${f.label} = ${f.side.command.join(' ')}`).join('; ')}; workers ${WORKERS.join(', ')}`,
    `${MEMBERS} members; wrk -t${THREADS} -d${DURATION} --latency at -c ${LOADS.join(', ')}; ${ROUNDS} interleaved rounds; medians over rounds; CPU from /proc (utime+stime) around each run`,
    '',
    ...phases.map(report),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
