// Throughput benchmark: the fleet daemon's balancer against HAProxy over the same members
// in one run, with direct-to-one-nginx as the reference ceiling.
//
// One fleet of BENCH_MEMBERS (3) members; HAProxy (Debian's, /usr/sbin/haproxy) balances
// round robin over the same member IPs with health checks and X-Forwarded-For, like the
// daemon. wrk (-t2 -c64 -d10s --latency by default) runs against each side in turn, sides
// interleaved for BENCH_ROUNDS (3) rounds after a short warm-up of each; the report gives
// the median req/s and p99 latency per side and the ratio fleet/HAProxy.
//
// Environment: BENCH_MEMBERS (3), BENCH_ROUNDS (3), BENCH_DURATION (10s), BENCH_THREADS (2),
// BENCH_CONNECTIONS (64), BENCH_HAPROXY_1T (1: also HAProxy with nbthread 1, a single
// thread like the daemon; 0 to skip), BENCH_ACCESS_LOG_OFF (1: members from a throwaway image
// built FROM the member image with the access log off, a variant to see the balancers' own
// cost; members run on a read-only root, so their config can't be edited in place), HAPROXY (/usr/sbin/haproxy), WRK (wrk), BENCH_JSON,
// FLEET_BIN, FLEET_IMAGE.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runningIps } from './lib/docker.mjs';
import { cleanup, down, fleetCommand, freePort, installSignalHandlers, onCleanup, status, up, IMAGE } from './lib/fleet.mjs';
import { MEMBER_PORT, closeAgent, get, memberUrl, parseList } from './lib/http.mjs';
import { fmt, median, table } from './lib/stats.mjs';

const MEMBERS = Number(process.env.BENCH_MEMBERS || 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const DURATION = process.env.BENCH_DURATION || '10s';
const THREADS = Number(process.env.BENCH_THREADS || 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 64);
const HAPROXY = process.env.HAPROXY || '/usr/sbin/haproxy';
const WRK = process.env.WRK || 'wrk';
const HAPROXY_1T = process.env.BENCH_HAPROXY_1T !== '0';
const ACCESS_LOG_OFF = process.env.BENCH_ACCESS_LOG_OFF === '1';

const log = (msg) => process.stderr.write(`[throughput ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function run(cmd, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')}: ${error.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

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

function wrk(url, duration) {
  const args = [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${duration}`, '--latency', '--timeout', '5s', url];
  return run(WRK, args, 120_000).then(parseWrk);
}

function haproxyConfig(port, ips, nbthread) {
  return [
    'global',
    '  maxconn 4096',
    ...(nbthread ? [`  nbthread ${nbthread}`] : []),
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  option forwardfor',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend members',
    'backend members',
    '  balance roundrobin',
    '  option httpchk GET /healthz',
    ...ips.map((ip, i) => `  server m${i + 1} ${ip}:${MEMBER_PORT} check inter 2s fall 3 rise 2`),
    '',
  ].join('\n');
}

async function startHaproxy(dir, label, ips, nbthread) {
  const port = await freePort();
  const cfg = path.join(dir, `${label}.cfg`);
  fs.writeFileSync(cfg, haproxyConfig(port, ips, nbthread));
  await run(HAPROXY, ['-c', '-q', '-f', cfg], 10_000);
  const child = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = false;
  child.on('close', () => (exited = true));
  onCleanup(async () => {
    if (exited) return;
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited) child.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i++) {
    if (exited) throw new Error(`haproxy exited: ${stderr.trim()}`);
    const ok = await get(url, { timeoutMs: 500 }).then((r) => r.status === 200, () => false);
    if (ok) return url;
    await sleep(100);
  }
  throw new Error(`haproxy on ${url} did not answer 200 within 10 s: ${stderr.trim()}`);
}

/** Every side must answer 200 with exactly the members' list before it is measured. */
async function check(label, url, ips) {
  const seen = new Set();
  for (let i = 0; i < 3 * ips.length; i++) {
    const r = await get(url, { timeoutMs: 2_000 });
    if (r.status !== 200 || parseList(r.body).join(',') !== ips.join(',')) throw new Error(`${label} (${url}) answered ${r.status} ${JSON.stringify(r.body)}, not the list ${ips.join(',')}`);
    seen.add(r.servedBy);
  }
  return [...seen].sort().join(' ');
}

async function main() {
  installSignalHandlers();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const name = `bench-${process.pid}-tp`;
  const results = [];
  let ips;
  let haproxyThreads = '';
  let served = {};
  try {
    const port = await freePort();
    // A variant, not the product: the members log every request to stdout, which costs a
    // write through containerd's shim and dockerd per request on the same cores.
    const image = ACCESS_LOG_OFF ? await accessLogOffImage(IMAGE) : IMAGE;
    if (ACCESS_LOG_OFF) log(`members: ${image}, ${IMAGE} with the access log off`);
    log(`fleet ${name}: up --replicas ${MEMBERS} on 127.0.0.1:${port}`);
    await up({ name, replicas: MEMBERS, port, image });
    // Wait until the daemon has every member in rotation.
    for (let i = 0; i < 100; i++) {
      const st = await status(name);
      if (st.members.length === MEMBERS && st.members.every((m) => m.healthy && m.state === 'up')) break;
      await sleep(200);
    }
    ips = await runningIps(name);
    log(`members: ${ips.join(' ')}`);

    const sides = [{ label: 'fleet', url: `http://127.0.0.1:${port}/` }];
    sides.push({ label: 'haproxy', url: await startHaproxy(dir, 'haproxy', ips) });
    if (HAPROXY_1T) sides.push({ label: 'haproxy nbthread 1', url: await startHaproxy(dir, 'haproxy-1t', ips, 1) });
    sides.push({ label: `direct (one nginx, ${ips[0]})`, url: memberUrl(ips[0]) });
    haproxyThreads = (await run(HAPROXY, ['-vv'], 10_000)).match(/Built with multi-threading support \(MAX_THREADS=(\d+)/)?.[1] ?? '?';
    for (const side of sides) served[side.label] = await check(side.label, side.url, ips);
    closeAgent();

    for (const side of sides) {
      log(`warm-up ${side.label}`);
      await wrk(side.url, '2s');
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const side of sides) {
        const r = await wrk(side.url, DURATION);
        results.push({ round, side: side.label, ...r });
        log(`round ${round}/${ROUNDS} ${side.label}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms, non-2xx ${r.non2xx}, socket errors ${r.socketErrors}`);
        await sleep(1_000);
      }
    }
    // The fleet must still be whole after the load.
    const st = await status(name);
    served.after = `${st.members.filter((m) => m.healthy).length}/${st.members.length} members healthy after the runs`;
  } finally {
    await down(name).catch((e) => log(`down: ${e}`));
    await cleanup();
    closeAgent();
  }

  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ ips, results, served }, null, 2));
  const labels = [...new Set(results.map((r) => r.side))];
  const med = (label, key) => median(results.filter((r) => r.side === label).map((r) => r[key]));
  const fleetRps = med('fleet', 'rps');
  const rpsOf = (label, round) => results.find((r) => r.side === label && r.round === round)?.rps;
  const roundRatios = [...new Set(results.map((r) => r.round))].map((round) => rpsOf('fleet', round) / rpsOf('haproxy', round));
  const rows = labels.map((label) => {
    const rs = results.filter((r) => r.side === label);
    return [
      label,
      rs.length,
      fmt(med(label, 'rps')),
      rs.map((r) => fmt(r.rps)).join(' / '),
      fmt(med(label, 'p50Ms'), 2),
      fmt(med(label, 'p99Ms'), 2),
      rs.reduce((a, r) => a + r.non2xx, 0),
      rs.reduce((a, r) => a + r.socketErrors, 0),
      fmt(fleetRps / med(label, 'rps'), 3),
    ];
  });
  const lines = [
    `# fleet balancer throughput, ${new Date().toISOString()}`,
    `host: ${os.hostname()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, image ${IMAGE}, fleet ${fleetCommand().slice(1).join(' ')}`,
    `${MEMBERS} members (${(ips ?? []).join(', ')}); wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION} --latency, ${ROUNDS} interleaved rounds after a 2 s warm-up each; medians over rounds; HAProxy default threads (one per CPU, MAX_THREADS=${haproxyThreads})${ACCESS_LOG_OFF ? '; members\' access log OFF (variant)' : ''}`,
    '',
    table(['side', 'runs', 'median req/s', 'req/s per round', 'median p50 ms', 'median p99 ms', 'non-2xx', 'socket errors', 'fleet / side'], rows),
    '',
    `ratio fleet/haproxy (median req/s): ${fmt(fleetRps / med('haproxy', 'rps'), 3)}`,
    `ratio fleet/haproxy within each round (same few seconds of a shared host): ${roundRatios.map((r) => fmt(r, 3)).join(' / ')} (median ${fmt(median(roundRatios), 3)})`,
    ...Object.entries(served).map(([k, v]) => `${k}: ${k === 'after' ? v : `served by ${v}`}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
