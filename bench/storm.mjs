// A slow engine on purpose (issue 15): `fleet up --replicas N` on a private engine whose
// dockerd and containerd are held to BENCH_STORM_CPU % of one core by a cgroup v1 quota, beside
// what the engine alone needs for N containers (`docker run -d`, 4 at a time). Per side: time
// to serving, replacements the daemon logged, and the engine's own events for the run: kills
// with signal 9, deaths with exit 137, container starts; the engine's CPU seconds over the up
// (dockerd, containerd, and the shims of the members running at the end) and the host's peak
// 1-minute load average. Optionally the build before this
// change (BENCH_OLD_BIN) runs after the new one, on the same engine, same quota.
//
// Environment: BENCH_STORM_SIZE (50), BENCH_STORM_CPU (10; 0: no quota), BENCH_STORM_MAX_S (600:
// a side that has not converged by then is stopped and reported as such), BENCH_STORM_SIDES
// (new,old), BENCH_STORM_ALONE (1: measure the engine alone first), BENCH_STORM_BUSY (0: busy
// loops on every core while fleet comes up), BENCH_STORM_CALLS (1: fleet reaches the engine
// through a proxy that times each API call, and each side prints where the engine's time went
// until serving, by route), FLEET_BIN, BENCH_OLD_BIN, FLEET_IMAGE.
// Needs root (cgroups, a dockerd of its own). Node 24 runs the private engine's TypeScript as is.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { startPrivateEngine } from '../test/fleet/e2e/private-engine.ts';
import { startEngineCalls } from './lib/engine-calls.mjs';
import { IMAGE, cleanup, down, freePort, installSignalHandlers, makeSide, onCleanup, up } from './lib/fleet.mjs';
import { table } from './lib/stats.mjs';

const SIZE = Number(process.env.BENCH_STORM_SIZE || 50);
const CPU = Number(process.env.BENCH_STORM_CPU ?? 10);
const MAX_MS = Number(process.env.BENCH_STORM_MAX_S || 600) * 1000;
const SIDES = (process.env.BENCH_STORM_SIDES || 'new,old').split(',');
const ALONE = process.env.BENCH_STORM_ALONE !== '0';
const BUSY = process.env.BENCH_STORM_BUSY === '1';
const CALLS = process.env.BENCH_STORM_CALLS !== '0';

installSignalHandlers();
const engine = await startPrivateEngine([IMAGE]);
onCleanup(() => engine.stop());
// The fleet CLI, the daemon and the bench's docker calls all reach the private engine.
process.env.DOCKER_HOST = engine.host;

let release = async () => {};
const slow = async () => {
  if (CPU > 0) release = await engine.throttle(CPU);
};
const fast = async () => {
  await release();
  release = async () => {};
};
onCleanup(fast);

/** The engine's container events from now on, until stopped. */
function followEvents() {
  const child = spawn('docker', ['events', '--format', '{{json .}}', '--filter', 'type=container'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const events = [];
  let partial = '';
  child.stdout.on('data', (d) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop();
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line));
  });
  return {
    stop() {
      child.kill();
      const attr = (e, k) => e.Actor?.Attributes?.[k];
      return {
        starts: events.filter((e) => e.Action === 'start').length,
        kill9: events.filter((e) => e.Action === 'kill' && attr(e, 'signal') === '9').length,
        exit137: events.filter((e) => e.Action === 'die' && attr(e, 'exitCode') === '137').length,
      };
    },
  };
}

function busyLoops() {
  const children = os.cpus().map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  return () => children.forEach((c) => c.kill('SIGKILL'));
}

async function engineAlone() {
  await engine.docker('network', 'create', 'storm-alone');
  await slow();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < SIZE) {
      next++;
      await engine.docker('run', '-d', '--label', 'storm-alone=1', '--network', 'storm-alone', IMAGE);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const ms = performance.now() - t0;
  await fast();
  const ids = (await engine.docker('ps', '-aq', '--filter', 'label=storm-alone=1')).split('\n').filter(Boolean);
  if (ids.length) await engine.docker('rm', '-f', ...ids);
  await engine.removeNetwork('storm-alone');
  return ms;
}

/** The host's highest 1-minute load average from now until stopped, sampled every second. */
function peakLoad() {
  let peak = os.loadavg()[0];
  const timer = setInterval(() => (peak = Math.max(peak, os.loadavg()[0])), 1000);
  return () => {
    clearInterval(timer);
    return Math.max(peak, os.loadavg()[0]);
  };
}

async function runSide(label, bin) {
  const side = makeSide({ label, bin });
  const name = `storm-${label}`;
  await slow();
  const unbusy = BUSY ? busyLoops() : () => {};
  const events = followEvents();
  const cpuBefore = await engine.cpuSeconds();
  const load = peakLoad();
  let replacements = 0;
  let suppressed = 0;
  let result;
  // The daemon and its CLI reach the engine through the timing proxy (the bench's own calls do not).
  const calls = CALLS ? await startEngineCalls(engine.host.slice('unix://'.length)) : undefined;
  if (calls) process.env.DOCKER_HOST = calls.host;
  let engineCalls;
  try {
    const record = await up({
      name,
      replicas: SIZE,
      port: await freePort(),
      side,
      extra: ['--no-admin'],
      readyTimeoutMs: MAX_MS,
      logLevel: 'INFO',
      onLog: (line) => {
        if (line.includes('member.replacing')) replacements++;
        if (line.includes('replacements.suppressed')) suppressed++;
      },
    });
    result = { converged: true, ms: record.upMs };
  } catch (error) {
    result = { converged: false, ms: undefined, error: String(error.message).slice(0, 200) };
  }
  engineCalls = calls?.report();
  unbusy();
  const cpuAfter = await engine.cpuSeconds();
  const cpu = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, cpuAfter[k] - cpuBefore[k]]));
  const peak = load();
  const counted = events.stop();
  await fast();
  await down(name);
  process.env.DOCKER_HOST = engine.host;
  await calls?.close();
  return { side: label, ...result, replacements, suppressed, ...counted, cpu, peak, engineCalls };
}

try {
  const rows = [];
  let alone;
  if (ALONE) {
    alone = await engineAlone();
    process.stderr.write(`engine alone: ${SIZE} containers in ${(alone / 1000).toFixed(1)} s\n`);
  }
  for (const label of SIDES) {
    const bin = label === 'old' ? process.env.BENCH_OLD_BIN : process.env.FLEET_BIN;
    if (label === 'old' && !bin) continue;
    const r = await runSide(label, bin);
    process.stderr.write(`${JSON.stringify(r)}\n`);
    rows.push(r);
  }
  const s = (ms) => (ms === undefined ? '-' : (ms / 1000).toFixed(1));
  console.log(`fleet up --replicas ${SIZE}, engine at ${CPU || 100}% of a core${BUSY ? ', both cores busy' : ''}; engine alone: ${alone ? s(alone) + ' s' : 'not measured'}`);
  console.log(
    table(
      ['side', 'converged', 'to serving (s)', 'replacements', 'suppressed logs', 'container starts', 'kill -9', 'exit 137', 'dockerd CPU (s)', 'containerd CPU (s)', 'shims CPU (s)', 'peak load'],
      rows.map((r) => [
        r.side,
        r.converged ? 'yes' : `no (${r.error})`,
        s(r.ms),
        r.replacements,
        r.suppressed,
        r.starts,
        r.kill9,
        r.exit137,
        r.cpu.dockerd.toFixed(1),
        r.cpu.containerd.toFixed(1),
        r.cpu.shims.toFixed(1),
        r.peak.toFixed(1),
      ]),
    ),
  );
  for (const r of rows.filter((r) => r.engineCalls)) {
    const total = r.engineCalls.reduce((sum, c) => sum + c.sumS, 0);
    console.log(`\n${r.side}: the engine's answers until serving, by route (summed over concurrent calls: ${total.toFixed(1)} s)`);
    console.log(
      table(
        ['route', 'calls', 'failed', 'summed (s)', 'share', 'p50 (ms)', 'max (ms)'],
        r.engineCalls.slice(0, 12).map((c) => [c.route, c.calls, c.failed, c.sumS.toFixed(1), `${((100 * c.sumS) / total).toFixed(0)}%`, c.p50.toFixed(0), c.max.toFixed(0)]),
      ),
    );
  }
} finally {
  await cleanup();
}
