// Overload benchmark: the balancer's tail under 1000 and 4000 keep-alive clients, beside
// HAProxy over the same members in the same run.
//
// One fleet of BENCH_MEMBERS members (FLEET_BIN or bin/fleet, its default workers) and one
// HAProxy (Debian's, as bench/throughput.mjs runs it, nbthread = the fleet's workers, maxconn
// above the largest load) over the same member IPs. For each load in BENCH_CONNECTIONS, wrk
// (-t BENCH_THREADS, --timeout 10s) runs BENCH_DURATION against one side, then the other,
// for BENCH_ROUNDS rounds. A wrk script reads, from wrk's own latency histogram, the share of
// requests that took over 2 s (wrk's timeouts, 10 s, count too) and p50, p99 and p99.9.
// The report gives medians over the rounds and fleet's ratio to HAProxy for each figure.
// fleet sheds with 503 + Retry-After when it runs too far behind (design.md, "The front
// door"): those are counted apart, as answered but not served.
//
// Environment:
//   BENCH_CONNECTIONS (1000,4000), BENCH_DURATION (10s), BENCH_WARMUP (3s, each side once, at
//   the smallest load, not counted), BENCH_ROUNDS (3), BENCH_MEMBERS (2),
//   BENCH_THREADS (2), WRK (wrk), HAPROXY (/usr/sbin/haproxy), FLEET_BIN, FLEET_IMAGE
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runningIps } from './lib/docker.mjs';
import { cleanup, envList, freePort, installSignalHandlers, onCleanup, status, up } from './lib/fleet.mjs';
import { haproxyVersion, startHaproxy } from './lib/haproxy.mjs';
import { fmt, median, table } from './lib/stats.mjs';
import { run } from './lib/run.mjs';

const CONNECTIONS = envList(process.env.BENCH_CONNECTIONS, '1000,4000').map(Number);
const DURATION = process.env.BENCH_DURATION || '10s';
const WARMUP = process.env.BENCH_WARMUP || '3s';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 2);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const WRK = process.env.WRK || 'wrk';
const SLOW_US = 2_000_000;
const TIMEOUT_S = 10;

const log = (msg) => process.stderr.write(`[overload ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// The share of requests over 2 s, from wrk's histogram: the largest p whose percentile is at
// most 2 s, found by bisection (the histogram's own API walks it once per percentile, which
// is what keeps this cheap; counting slot by slot is not, in Debian's wrk).
const SCRIPT = `
done = function(summary, latency, requests)
  local lo, hi = 0, 100
  if latency.max <= ${SLOW_US} then lo = 100 end
  for _ = 1, 40 do
    if hi - lo < 1e-9 then break end
    local mid = (lo + hi) / 2
    if latency:percentile(mid) <= ${SLOW_US} then lo = mid else hi = mid end
  end
  io.write(string.format('FIGURES {"requests":%d,"durationUs":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"slowShare":%.12f,"p50":%d,"p99":%d,"p999":%d,"max":%d}\\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    (100 - lo) / 100, latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
`;

async function wrk(url, connections, script, duration = DURATION) {
  const out = await run(WRK, [`-t${THREADS}`, `-c${connections}`, `-d${duration}`, '--timeout', `${TIMEOUT_S}s`, '-s', script, url], 180_000);
  const line = out.split('\n').find((l) => l.startsWith('FIGURES '));
  if (!line) throw new Error(`wrk printed no figures:\n${out}`);
  const f = JSON.parse(line.slice('FIGURES '.length));
  const seconds = f.durationUs / 1e6;
  // Timed-out requests never reach the histogram: they took over 2 s too.
  return {
    rate: f.requests / seconds,
    served: (f.requests - f.status) / seconds,
    nonOk: f.status,
    socketErrors: f.connect + f.read + f.write,
    over2s: Math.round(f.slowShare * (f.requests - f.timeout)) + f.timeout,
    p50: f.p50 / 1000,
    p99: f.p99 / 1000,
    p999: f.p999 / 1000,
    max: f.max / 1000,
  };
}

installSignalHandlers();
try {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const script = path.join(dir, 'figures.lua');
  fs.writeFileSync(script, SCRIPT);
  const name = `bench-${process.pid}-ovl`;
  const port = await freePort();
  await up({ name, replicas: MEMBERS, port, extra: ['--no-admin'] });
  const ips = await runningIps(name);
  const workers = (await status(name)).workers.length;
  const haproxy = await startHaproxy(dir, `${name}-haproxy`, ips, workers, 2 * Math.max(...CONNECTIONS));
  const sides = [
    { label: `fleet (${workers} workers)`, url: `http://127.0.0.1:${port}/` },
    { label: `HAProxy (nbthread ${workers})`, url: haproxy.url },
  ];
  // A fresh daemon's workers run cold (JIT, pools): each side gets a run that is not counted.
  for (const side of sides) await wrk(side.url, Math.min(...CONNECTIONS), script, WARMUP);
  const results = new Map();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const connections of CONNECTIONS) {
      for (const side of sides) {
        const r = await wrk(side.url, connections, script);
        const key = `${connections}|${side.label}`;
        results.set(key, [...(results.get(key) ?? []), r]);
        log(`round ${round} -c${connections} ${side.label}: ${fmt(r.rate)} req/s (${fmt(r.served)} served), over 2 s ${r.over2s}, p50 ${fmt(r.p50)} ms, p99.9 ${fmt(r.p999)} ms, non-2xx ${r.nonOk}, socket errors ${r.socketErrors}`);
      }
    }
  }
  console.log(`\nwrk -t${THREADS} -d${DURATION} --timeout ${TIMEOUT_S}s, ${MEMBERS} members; medians over ${ROUNDS} rounds, sides interleaved; ${await haproxyVersion()}, node ${process.version}, ${os.cpus().length} CPUs`);
  for (const connections of CONNECTIONS) {
    const m = (label, key) => median(results.get(`${connections}|${label}`).map((r) => r[key]));
    const [fleet, ha] = sides.map((s) => s.label);
    const ratio = (key) => fmt(m(fleet, key) / m(ha, key), 2);
    console.log(`\n-c${connections}`);
    console.log(
      table(
        ['side', 'req/s', 'served/s', 'over 2 s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'non-2xx', 'socket errors'],
        [
          ...sides.map(({ label }) => [label, fmt(m(label, 'rate')), fmt(m(label, 'served')), fmt(m(label, 'over2s')), fmt(m(label, 'p50')), fmt(m(label, 'p99')), fmt(m(label, 'p999')), fmt(m(label, 'max')), fmt(m(label, 'nonOk')), fmt(m(label, 'socketErrors'))]),
          ['fleet / HAProxy', ratio('rate'), ratio('served'), ratio('over2s'), ratio('p50'), ratio('p99'), ratio('p999'), ratio('max'), '', ''],
        ],
      ),
    );
  }
} finally {
  await cleanup();
}
