// How fast this engine creates and starts members, by how many start at once: the floor
// under `fleet up --replicas N` and the evidence for how many starts the daemon should
// keep in flight. No fleet daemon runs: N containers with a member's exact settings
// (src/fleet/docker/member-spec.ts) are created and started over the Engine API, C at a
// time, for each C in turn (the order alternating per round), then removed.
//
// Environment: BENCH_STARTS_N (100), BENCH_STARTS_CONCURRENCY (1,4,8,16,100),
// BENCH_STARTS_ROUNDS (1), FLEET_IMAGE (fleet-nginx:offline), BENCH_JSON.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { dockerApi } from './lib/docker.mjs';
import { cpuReading, cpuSpent, waitQuiet } from './lib/cpu.mjs';
import { IMAGE } from './lib/fleet.mjs';
import { fmt, percentile, table } from './lib/stats.mjs';

const N = Number(process.env.BENCH_STARTS_N || 100);
const CONCURRENCY = (process.env.BENCH_STARTS_CONCURRENCY || '1,4,8,16,100').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_STARTS_ROUNDS || 1);
const RUN = `bench-starts-${process.pid}`;
const LABELS = { 'io.fleet.name': RUN, 'io.fleet.bench': 'engine-starts' };

const log = (msg) => process.stderr.write(`[engine-starts ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// A member as the daemon creates it (member-spec.ts), on this run's network.
function memberSpec(network) {
  const tmpfs = (mode) => `rw,noexec,nosuid,nodev,size=1m,mode=${mode},uid=10101,gid=10101`;
  return {
    Image: IMAGE,
    Labels: LABELS,
    User: '10101:10101',
    StopSignal: 'SIGQUIT',
    HostConfig: {
      NetworkMode: network,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: { '/run/nginx': tmpfs('0700'), '/srv/fleet': tmpfs('0755') },
      IpcMode: 'none',
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      NanoCpus: 0.5e9,
      PidsLimit: 32,
      Ulimits: [
        { Name: 'nofile', Soft: 8192, Hard: 8192 },
        { Name: 'msgqueue', Soft: 0, Hard: 0 },
      ],
    },
  };
}

/** Runs `task(i)` for i < n, `c` at a time. */
async function pool(n, c, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(c, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

const created = new Set();
const networks = new Set();

async function cleanup() {
  await pool(created.size, 8, async (i) => {
    const id = [...created][i];
    await dockerApi('DELETE', `/containers/${id}?force=1`, { timeoutMs: 60_000 }).catch(() => {});
  });
  created.clear();
  for (const net of networks) await dockerApi('DELETE', `/networks/${net}`).catch(() => {});
  networks.clear();
}

async function once(c, round) {
  const network = `${RUN}-${c}-${round}`;
  await dockerApi('POST', '/networks/create', { body: { Name: network, Driver: 'bridge', CheckDuplicate: true, Labels: LABELS } });
  networks.add(network);
  const spec = memberSpec(network);
  const quiet = await waitQuiet({ onWait: (busy) => log(`host ${Math.round(busy * 100)}% busy, waiting for it to calm down`) });
  const calls = [];
  const cpuA = cpuReading({ daemonPid: process.pid, ids: [] });
  const t0 = performance.now();
  await pool(N, c, async () => {
    const s = performance.now();
    const { Id } = await dockerApi('POST', '/containers/create', { body: spec, timeoutMs: 300_000 });
    created.add(Id);
    const mid = performance.now();
    await dockerApi('POST', `/containers/${Id}/start`, { timeoutMs: 300_000 });
    calls.push({ createMs: mid - s, startMs: performance.now() - mid, totalMs: performance.now() - s });
  });
  const startAll = performance.now() - t0;
  const cpu = cpuSpent(cpuA, cpuReading({ daemonPid: process.pid, ids: [...created] }));
  const r0 = performance.now();
  await cleanup();
  const removeAll = performance.now() - r0;
  return { c, round, startAllMs: startAll, removeAllMs: removeAll, calls, cpu, quiet };
}

async function main() {
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void cleanup().finally(() => process.exit(130)));
  const results = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? CONCURRENCY : [...CONCURRENCY].reverse();
      for (const c of order) {
        const r = await once(c, round);
        results.push(r);
        log(`${N} members, ${c} at a time: all started in ${fmt(r.startAllMs)} ms (create+start p50 ${fmt(percentile(r.calls.map((x) => x.totalMs), 50))} ms, max ${fmt(Math.max(...r.calls.map((x) => x.totalMs)))}), removed in ${fmt(r.removeAllMs)} ms`);
      }
    }
  } finally {
    await cleanup();
  }
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
  const rows = results.map((r) => [
    r.c,
    r.round + 1,
    fmt(r.startAllMs),
    fmt((N * 1000) / r.startAllMs, 1),
    fmt(percentile(r.calls.map((x) => x.createMs), 50)),
    fmt(percentile(r.calls.map((x) => x.startMs), 50)),
    fmt(percentile(r.calls.map((x) => x.totalMs), 50)),
    fmt(Math.max(...r.calls.map((x) => x.totalMs))),
    r.calls.filter((x) => x.totalMs > 30_000).length,
    `${fmt(r.cpu.hostBusyMs)} of ${fmt(r.cpu.hostTotalMs)}`,
    fmt(r.cpu.dockerdMs),
    fmt(r.cpu.containerdMs),
    fmt(r.cpu.shimsMs),
    fmt(r.removeAllMs),
  ]);
  process.stdout.write(
    `# engine starts, ${new Date().toISOString()}, ${N} members from ${IMAGE}\n\n${table(['at once', 'round', 'all started ms', 'starts/s', 'create p50 ms', 'start p50 ms', 'create+start p50 ms', 'max ms', 'calls > 30 s', 'host busy CPU-ms', 'dockerd', 'containerd', 'shims + runc', 'removed (8 at a time) ms'], rows)}\n`,
  );
}

await main();
