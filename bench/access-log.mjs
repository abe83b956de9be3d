// What `fleet up --access-log` costs the balancer: three fleets of the same size, one with no
// access log, one writing text lines to a file, one JSON lines; wrk runs against each in turn,
// sides interleaved for BENCH_ROUNDS rounds in one run (the host is shared: only figures taken
// in the same few seconds compare), and the report gives each side's median req/s and p99,
// and the workers' CPU time per request (from /proc: what the log costs, far steadier than
// req/s on a busy host).
//
// Environment: BENCH_MEMBERS (3), BENCH_ROUNDS (5), BENCH_DURATION (5s), BENCH_THREADS (2),
// BENCH_CONNECTIONS (64), BENCH_WORKERS (2), WRK (wrk), FLEET_BIN, FLEET_IMAGE.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanup, fleetCommand, freePort, installSignalHandlers, onCleanup, status, up, IMAGE } from './lib/fleet.mjs';
import { fmt, median, table } from './lib/stats.mjs';

const MEMBERS = Number(process.env.BENCH_MEMBERS || 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const DURATION = process.env.BENCH_DURATION || '5s';
const THREADS = Number(process.env.BENCH_THREADS || 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 64);
const WORKERS = Number(process.env.BENCH_WORKERS || 2);
const WRK = process.env.WRK || 'wrk';

const log = (msg) => process.stderr.write(`[access-log ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const TICK_US = 1e6 / 100; // USER_HZ

/** CPU time (user + system) of these processes so far, in µs. */
function cpuUs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * TICK_US;
}

function wrk(url, duration) {
  const args = [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${duration}`, '--latency', '--timeout', '5s', url];
  return new Promise((resolve, reject) => {
    execFile(WRK, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${WRK} ${args.join(' ')}: ${error.message} ${stderr}`));
      const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\b/m.exec(stdout);
      const errors = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
      resolve({ rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]), p99Ms: p99 ? Number(p99[1]) * UNIT_MS[p99[2]] : NaN, non2xx: Number(errors?.[1] ?? 0), total: Number(/(\d+) requests in/.exec(stdout)?.[1]) });
    });
  });
}

async function main() {
  installSignalHandlers();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-access-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sides = [
    { label: 'off', extra: [] },
    { label: 'text', extra: ['--access-log', path.join(dir, 'text.log')], file: path.join(dir, 'text.log') },
    { label: 'json', extra: ['--access-log', path.join(dir, 'json.log'), '--log-format', 'json'], file: path.join(dir, 'json.log') },
  ];
  for (const side of sides) {
    side.port = await freePort();
    side.name = `bacc${side.label}${process.pid.toString(36)}`;
    log(`up ${side.name}: ${MEMBERS} members, ${WORKERS} workers, access log ${side.label}`);
    await up({ name: side.name, replicas: MEMBERS, port: side.port, extra: ['--workers', String(WORKERS), ...side.extra] });
    side.url = `http://127.0.0.1:${side.port}/`;
    side.pids = (await status(side.name)).workers.map((w) => w.pid);
    side.runs = [];
    await wrk(side.url, '2s');
  }
  for (let round = 1; round <= ROUNDS; round++) {
    // Each round starts with a different side, so none always runs first.
    const order = sides.map((_, i) => sides[(i + round) % sides.length]);
    for (const side of order) {
      const before = cpuUs(side.pids);
      const r = await wrk(side.url, DURATION);
      r.cpuUsPerRequest = (cpuUs(side.pids) - before) / r.total;
      side.runs.push(r);
      log(`round ${round} ${side.label}: ${fmt(r.rps)} req/s, p99 ${fmt(r.p99Ms, 1)} ms, ${fmt(r.cpuUsPerRequest, 1)} µs CPU per request`);
    }
  }
  const off = median(sides[0].runs.map((r) => r.rps));
  const offCpu = median(sides[0].runs.map((r) => r.cpuUsPerRequest));
  const rows = sides.map((side) => {
    const rps = median(side.runs.map((r) => r.rps));
    const cpu = median(side.runs.map((r) => r.cpuUsPerRequest));
    return [
      side.label,
      fmt(rps),
      side.runs.map((r) => fmt(r.rps)).join(' '),
      fmt(median(side.runs.map((r) => r.p99Ms)), 1),
      side.runs.reduce((a, r) => a + r.non2xx, 0),
      fmt(rps / off, 3),
      fmt(cpu, 1),
      side.runs.map((r) => fmt(r.cpuUsPerRequest, 0)).join(' '),
      `${cpu >= offCpu ? '+' : ''}${fmt(cpu - offCpu, 1)} (${fmt((cpu / offCpu - 1) * 100, 1)}%)`,
    ];
  });
  const written = sides.filter((s) => s.file).map((s) => `${s.label}: ${fs.readFileSync(s.file, 'utf8').split('\n').length - 1} lines, ${sides.find((x) => x === s).runs.reduce((a, r) => a + r.total, 0)} requests measured (+ warm-up)`);
  const lines = [
    `# fleet access log cost, ${new Date().toISOString()}`,
    `host: ${os.hostname()}, ${os.cpus().length} CPUs, node ${process.version}, image ${IMAGE}, fleet ${fleetCommand().join(' ')}`,
    `${MEMBERS} members and ${WORKERS} workers per side; wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION} --latency, ${ROUNDS} interleaved rounds; medians over rounds`,
    '',
    table(['access log', 'median req/s', 'req/s per round', 'median p99 ms', 'non-2xx', 'req/s vs off', 'median worker CPU µs/req', 'µs/req per round', 'CPU vs off'], rows),
    '',
    ...written,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  await main();
} finally {
  await cleanup();
}
