// New-client benchmark: how long a client that opens a fresh connection waits for its answer
// while thousands of busy keep-alive clients hammer the balancer, build against build, and
// beside HAProxy (over the same members, nbthread = the fleet's workers) and one member's
// nginx answering directly.
//
// Each run starts a fleet (BENCH_MEMBERS members) with one build, runs h2load --h1 with
// BENCH_BUSY connections for BENCH_DURATION seconds, and from 1 s in opens a new connection
// every 100 ms (Connection: close, 10 s timeout) until 1 s before h2load stops. Meanwhile the
// balancer's accept queue (Recv-Q of its listening socket, `ss -ltn`) is sampled every
// 100 ms (not for nginx, whose socket is in its container). Sides are interleaved for
// BENCH_ROUNDS rounds; the report gives, per side, the
// medians over the rounds of each run's p50, p90 and max wait, the requests over 3 s, those
// never answered (an error or the 10 s timeout) and the deepest accept queue seen.
//
// Environment:
//   BENCH_FLEETS    label=path,... builds (bin/fleet launchers), e.g.
//                   before=../base/bin/fleet,after=bin/fleet (default: this one)
//   BENCH_OTHERS   haproxy,nginx: the other sides (none: empty); the first build's members
//   BENCH_BUSY (2000), BENCH_DURATION (10), BENCH_MEMBERS (2), BENCH_ROUNDS (3),
//   H2LOAD (h2load), HAPROXY (/usr/sbin/haproxy), FLEET_IMAGE
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runningIps } from './lib/docker.mjs';
import { cleanup, down, envList, fleetsFromEnv, freePort, installSignalHandlers, onCleanup, status, up } from './lib/fleet.mjs';
import { startHaproxy } from './lib/haproxy.mjs';
import { MEMBER_PORT } from './lib/http.mjs';
import { fmt, median, percentile, table } from './lib/stats.mjs';
import { run } from './lib/run.mjs';

const FLEETS = fleetsFromEnv();
const OTHERS = envList(process.env.BENCH_OTHERS ?? 'haproxy,nginx', '').filter((o) => o === 'haproxy' || o === 'nginx');
const SIDES = [...FLEETS.map((f) => ({ ...f, kind: 'fleet' })), ...OTHERS.map((kind) => ({ label: kind === 'nginx' ? 'nginx (one member)' : 'HAProxy', kind, side: FLEETS[0].side }))];
const BUSY = Number(process.env.BENCH_BUSY ?? 2000);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const H2LOAD = process.env.H2LOAD ?? 'h2load';
const SLOW_MS = 3_000;
const TIMEOUT_MS = 10_000;

const log = (msg) => process.stderr.write(`[new-client ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** One request on a new connection: its wait in ms, or undefined when it was never answered. */
function probe(host, port) {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host, port, agent: false, timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
  });
}

/** The deepest accept queue of the socket listening on `port`, sampled until `stop()`. */
function sampleQueue(port) {
  let deepest = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const out = await run('ss', ['-ltnH', `sport = :${port}`], 5_000).catch(() => '');
      for (const line of out.split('\n')) {
        const queued = Number(line.trim().split(/\s+/)[1]);
        if (queued > deepest) deepest = queued;
      }
      await sleep(100);
    }
  })();
  return async () => {
    running = false;
    await done;
    return deepest;
  };
}

async function once({ label, kind, side }, round, dir) {
  const fleetPort = await freePort();
  const name = `bench-${process.pid}-nc-${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 8)}-${round}`;
  await up({ name, replicas: MEMBERS, port: fleetPort, side, extra: ['--no-admin'] });
  let stopHaproxy = async () => {};
  try {
    // Where the clients go: the fleet's port, HAProxy's over the same members, or one member.
    let host = '127.0.0.1';
    let port = fleetPort;
    if (kind === 'haproxy') {
      const haproxy = await startHaproxy(dir, name, await runningIps(name), (await status(name)).workers.length);
      port = haproxy.port;
      stopHaproxy = haproxy.stop;
    } else if (kind === 'nginx') {
      [host] = await runningIps(name);
      port = MEMBER_PORT;
    }
    const stopSampling = kind === 'nginx' ? async () => NaN : sampleQueue(port);
    const busy = run(H2LOAD, ['--h1', '-c', String(BUSY), '-D', String(DURATION_S), `http://${host}:${port}/`], (DURATION_S + 60) * 1000);
    await sleep(1_000);
    const probes = [];
    const until = performance.now() + (DURATION_S - 2) * 1000;
    while (performance.now() < until) {
      probes.push(probe(host, port));
      await sleep(100);
    }
    const waits = await Promise.all(probes);
    const h2 = await busy;
    const deepest = await stopSampling();
    const answered = waits.filter((ms) => ms !== undefined);
    const busyRequests = Number(/requests: (\d+) total/.exec(h2)?.[1] ?? 0);
    const busyOk = Number(/status codes: (\d+) 2xx/.exec(h2)?.[1] ?? 0);
    return {
      p50: percentile(answered, 50),
      p90: percentile(answered, 90),
      max: Math.max(...answered),
      slow: answered.filter((ms) => ms > SLOW_MS).length,
      unanswered: waits.length - answered.length,
      probes: waits.length,
      deepest,
      busyRequests,
      busyOk,
    };
  } finally {
    await stopHaproxy();
    await down(name);
  }
}

installSignalHandlers();
try {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const results = new Map(SIDES.map((s) => [s.label, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of SIDES) {
      const r = await once(target, round, dir);
      results.get(target.label).push(r);
      log(`round ${round} ${target.label}: p50 ${fmt(r.p50)} ms, p90 ${fmt(r.p90)} ms, max ${fmt(r.max)} ms, over 3 s ${r.slow}/${r.probes}, unanswered ${r.unanswered}, accept queue up to ${r.deepest}, busy requests ${r.busyRequests}`);
    }
  }
  console.log(`\nA new connection every 100 ms under h2load --h1 -c ${BUSY} (${DURATION_S} s), ${MEMBERS} members; medians over ${ROUNDS} rounds, sides interleaved`);
  console.log(
    table(
      ['side', 'p50 ms', 'p90 ms', 'max ms', `over ${SLOW_MS / 1000} s`, 'unanswered', 'accept queue', 'busy requests', 'busy 2xx'],
      SIDES.map(({ label }) => {
        const rs = results.get(label);
        const m = (key) => median(rs.map((r) => r[key]));
        return [label, fmt(m('p50')), fmt(m('p90')), fmt(m('max')), `${fmt(m('slow'))} of ${fmt(m('probes'))}`, fmt(m('unanswered')), fmt(m('deepest')), fmt(m('busyRequests')), fmt(m('busyOk'))];
      }),
    ),
  );
} finally {
  await cleanup();
}
