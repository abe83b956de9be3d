// Convergence benchmark (issue 7): how long after `fleet up`, `fleet remove`, `fleet add` and
// a `docker kill` of one member every member serves the new list, at 10, 100 and 250 members;
// what the daemon itself logged for each change (`list.converged … ms=`); what the daemon, the
// engine and each member hold; and the CLI's start-up. Optionally an older build (BENCH_OLD_BIN)
// runs beside the current one, operations interleaved.
//
// The clock starts just before the action (spawning the CLI, or the engine's kill call) and
// stops at the answer with which the last member concerned first served what is asked:
//   up N:    every one of the N members serves the list of all N (IPs from the engine's start
//            events, followed from before the CLI is spawned);
//   remove:  every remaining member serves the N-1 list;
//   add:     every member, the new one included, serves the N list;
//   kill:    "dead IP gone": every survivor served a list without the killed IP (sent after the
//            kill), and "replaced": every member serves the survivors plus the replacement (the
//            new container from the engine's start event; only answers sent after it started
//            count, as Docker may give it the killed member's IP).
// Every member is polled on its own IP, each in its own loop; the pause between two GETs of
// one member is max(BENCH_POLL_MS, members * 1000 / BENCH_POLL_RATE), so the bench sends at
// most ~BENCH_POLL_RATE GETs per second whatever the size (a figure can be late by up to one
// pause plus a round trip). Between operations the bench waits until the fleet is quiet: the
// daemon reports every member up, healthy and in sync, the engine runs exactly those, and
// each serves their list.
//
// Environment: BENCH_SIZES (10,100,250), BENCH_REPS (5), BENCH_UP_ROUNDS (5), BENCH_POLL_MS (5),
// BENCH_POLL_RATE (2000; 0: no polling at all, the daemon's own figures only, new build only),
// BENCH_CLI_RUNS (21), BENCH_JSON (raw samples to this file),
// BENCH_QUIET_BUSY (0.25) and BENCH_QUIET_MAX_S (300): before each measurement, wait until the
// host's CPUs are less busy than that share over half a second, at most that long,
// FLEET_BIN, FLEET_IMAGE (fleet-nginx:offline), FLEET_LOG_LEVEL (INFO: the daemon's own
// figures come from its INFO lines); the older build: BENCH_OLD_BIN (its bin/fleet; unset: no
// old side), BENCH_OLD_IMAGE (fleet-nginx:offline-b285a77), BENCH_OLD_MEMBER_PORT (80),
// BENCH_OLD_SIZES (the sizes up to 100, its cap).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { followStarts, killContainer, listMembers, runningIps, sortIps } from './lib/docker.mjs';
import { parseLogLine } from './lib/daemon-log.mjs';
import { DEFAULT_SIDE, cleanup, daemonLog, down, fleet, freePort, installSignalHandlers, makeSide, status, up } from './lib/fleet.mjs';
import { closeAgent, get, memberUrl, parseList } from './lib/http.mjs';
import { ListPoller } from './lib/poll.mjs';
import { cpuReading, cpuSpent, waitQuiet } from './lib/cpu.mjs';
import { dockerStats, enginePids, fdCount, memoryOf, processes, pssOf, shimPids } from './lib/proc.mjs';
import { fmt, median, percentile, table } from './lib/stats.mjs';

const SIZES = (process.env.BENCH_SIZES || '10,100,250').split(',').map(Number);
const REPS = Number(process.env.BENCH_REPS || 5);
const UP_ROUNDS = Math.max(1, Number(process.env.BENCH_UP_ROUNDS || 5));
const POLL_MS = Number(process.env.BENCH_POLL_MS || 5);
const POLL_RATE = Number(process.env.BENCH_POLL_RATE ?? 2000);
/** BENCH_POLL_RATE=0: nobody polls; only the daemon's own figures, and the CPU without the bench's traffic. */
const POLLING = POLL_RATE > 0;
const CLI_RUNS = Number(process.env.BENCH_CLI_RUNS || 21);
const LOG_LEVEL = process.env.FLEET_LOG_LEVEL || 'INFO';
const QUIET_BUSY = Number(process.env.BENCH_QUIET_BUSY || 0.25);
const QUIET_MAX_MS = Number(process.env.BENCH_QUIET_MAX_S || 300) * 1000;
const OP_TIMEOUT_MS = 30_000;
const UP_TIMEOUT_MS = 300_000;
const SETTLE_TIMEOUT_MS = 180_000;
const QUIET_MS = 500;

const NEW = { ...DEFAULT_SIDE, label: 'new' };
const OLD = process.env.BENCH_OLD_BIN
  ? makeSide({
      label: 'old',
      bin: process.env.BENCH_OLD_BIN,
      image: process.env.BENCH_OLD_IMAGE || 'fleet-nginx:offline-b285a77',
      memberPort: Number(process.env.BENCH_OLD_MEMBER_PORT || 80),
      maxReplicas: 100,
    })
  : undefined;
const OLD_SIZES = process.env.BENCH_OLD_SIZES ? process.env.BENCH_OLD_SIZES.split(',').map(Number) : SIZES.filter((s) => s <= 100);
const sidesAt = (size) => [NEW, ...(OLD && POLLING && OLD_SIZES.includes(size) ? [OLD] : [])].filter((s) => size <= s.maxReplicas);

const log = (msg) => process.stderr.write(`[converge ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const keyOf = (ips) => sortIps(ips).join(',');
const pollInterval = (n) => Math.max(POLL_MS, Math.round((n * 1000) / POLL_RATE));
/** performance.now() as milliseconds since the epoch, to compare with the daemon's log times. */
const wall = (t) => performance.timeOrigin + t;

/** Waits for a quiet host before a measurement; the sample records how busy it was. */
async function quietHost(what) {
  return waitQuiet({ threshold: QUIET_BUSY, maxWaitMs: QUIET_MAX_MS, onWait: (busy) => log(`${what}: host ${Math.round(busy * 100)}% busy, waiting for it to calm down`) });
}

/** One GET of every IP; true when each serves `ips` (sorted). */
async function allServe(ips, port) {
  const want = keyOf(ips);
  const got = await Promise.all(ips.map((ip) => get(memberUrl(ip, port), { timeoutMs: 1_000 }).then((r) => (r.status === 200 ? keyOf(parseList(r.body)) : `status ${r.status}`), (e) => `error ${e.message}`)));
  return got.every((k) => k === want);
}

/**
 * Waits until the fleet is quiet at n members: the daemon reports n members up, healthy and
 * in sync, the engine runs exactly those, and each serves their list. Returns the members.
 */
async function settled(fleetRun, n) {
  const { name, side } = fleetRun;
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const st = await status(name, side);
      fleetRun.pid = st.pid;
      const running = (await listMembers(name)).filter((c) => c.running && c.ip);
      const ips = sortIps(running.map((c) => c.ip));
      const daemonIps = sortIps(st.members.map((m) => m.ip));
      const daemonOk = st.members.length === n && st.members.every((m) => m.healthy && m.state === 'up' && m.inSync !== false);
      last = `daemon: ${st.members.length} members (${st.members.filter((m) => m.healthy).length} healthy, ${st.members.filter((m) => m.inSync).length} in sync); engine: ${running.length} running`;
      if (daemonOk && ips.length === n && ips.join() === daemonIps.join() && (await allServe(ips, side.memberPort))) {
        await sleep(QUIET_MS);
        return ips.map((ip) => running.find((c) => c.ip === ip));
      }
    } catch (error) {
      last = String(error);
    }
    await sleep(300);
  }
  throw new Error(`fleet ${name} did not settle at ${n} members within ${SETTLE_TIMEOUT_MS / 1000} s (${last})`);
}

/**
 * Follows what members serve until the new list is served by every IP in it: `isNew` picks it
 * among served lists, or `setTarget` (given to `start`) names it, after which only answers
 * sent from then count. `alsoDone(ip)` holds a member's loop (and the end) for more.
 */
function follower({ port, n, deadline, isNew, onAnswer, alsoDone = () => true, loopDone }) {
  const last = new Map(); // ip -> { key, sent, t }
  const servedAt = new Map(); // ip -> first time it served the target
  let target;
  let targetKey;
  let tTarget = -Infinity;
  let tFirst;
  let unsorted = 0;
  let finish;
  const result = new Promise((resolve) => (finish = resolve));
  let over = false;
  const poller = new ListPoller({
    port,
    intervalMs: pollInterval(n),
    deadline,
    finished: (ip) => over || (loopDone ? loopDone(ip, { target, servedAt }) : target !== undefined && (servedAt.has(ip) || !target.includes(ip))),
    onAnswer: (ip, list, sent, t) => {
      if (over) return;
      const key = list ? keyOf(list) : null;
      if (list && list.length > 0 && list.join(',') !== key) unsorted++;
      last.set(ip, { key, sent, t });
      onAnswer?.(ip, list, key, sent, t, { target, targetKey, tTarget });
      if (!target && isNew && list && isNew(list)) setTarget(list, -Infinity);
      if (target && key === targetKey && sent >= tTarget && !servedAt.has(ip)) {
        servedAt.set(ip, t);
        tFirst ??= t;
      }
      check(t);
    },
  });
  const setTarget = (list, from) => {
    if (target) return;
    target = sortIps(list);
    targetKey = keyOf(target);
    tTarget = from;
    for (const [ip, s] of last) if (s.key === targetKey && s.sent >= tTarget && target.includes(ip)) servedAt.set(ip, s.t);
    if (servedAt.size > 0) tFirst = Math.min(...servedAt.values());
    for (const ip of target) poller.watch(ip);
  };
  const check = (t) => {
    if (over || !target) return;
    if (target.every((ip) => servedAt.has(ip)) && alsoDone()) {
      over = true;
      poller.stop();
      finish({ tFirst, tAll: Math.max(...servedAt.values()), tEnd: t, list: target, unsorted, requests: poller.requests });
    }
  };
  const timer = setTimeout(() => {
    over = true;
    poller.stop();
    finish({ timeout: true, target, served: Object.fromEntries(last), servedAt: Object.fromEntries(servedAt), requests: poller.requests });
  }, Math.max(0, deadline - performance.now()));
  return {
    watch: (ip) => poller.watch(ip),
    setTarget,
    check: () => check(performance.now()),
    result: result.finally(() => clearTimeout(timer)),
    get target() {
      return target;
    },
  };
}

/** The daemon's log lines of interest, kept per fleet with their time. */
function logKeeper(fleetRun) {
  return (line) => {
    const entry = parseLogLine(line);
    if (!entry) return;
    if (['list.converged', 'list.pushed', 'fleet.scale', 'fleet.starting', 'fleet.ready', 'member.started'].includes(entry.event)) fleetRun.logs.push(entry);
  };
}

/** The daemon's own measure of a change, from its log lines between `fromWall` and `toWall`. */
function insideTimes(fleetRun, op, fromWall, toWall) {
  const lines = fleetRun.logs.filter((l) => l.ts >= fromWall - 5 && l.ts <= toWall + 5);
  const converged = lines.filter((l) => l.event === 'list.converged');
  if (fleetRun.side !== OLD) {
    const cause = op === 'kill' ? 'death' : 'scale';
    const mine = converged.filter((l) => l.fields.cause === cause);
    if (mine.length === 0) return { lines: converged.map((l) => l.fields) };
    return {
      // From the action to the daemon's start of the change: the CLI reaching it, or the die event.
      lagMs: mine[0].ts - Number(mine[0].fields.ms) - fromWall,
      firstMs: Number(mine[0].fields.ms),
      lastMs: Number(mine.at(-1).fields.ms),
      generations: mine.length,
      byExec: mine.reduce((a, l) => a + Number(l.fields.byExec || 0), 0),
      lines: mine.map((l) => l.fields),
    };
  }
  // The old build logs no convergence: the time from `fleet.scale` to the last `list.pushed`.
  const scale = lines.find((l) => l.event === 'fleet.scale');
  const pushed = lines.filter((l) => l.event === 'list.pushed');
  if (op === 'kill' || !scale || pushed.length === 0) return {};
  return { lagMs: scale.ts - fromWall, lastMs: pushed.at(-1).ts - scale.ts, firstMs: pushed.at(-1).ts - scale.ts, generations: pushed.length };
}

async function measureOp(fleetRun, op, members, rep) {
  const { name, side } = fleetRun;
  const before = sortIps(members.map((m) => m.ip));
  const n = before.length;
  const old = new Set(before);
  const oldIds = new Set(members.map((m) => m.id));
  const sample = { side: side.label, op, from: n, to: op === 'add' ? n + 1 : op === 'remove' ? n - 1 : n, rep };
  sample.quiet = await quietHost(`${side.label} ${op} at ${n}`);
  const deadline = performance.now() + OP_TIMEOUT_MS;
  let t0;
  let r;
  let cpuA;
  if (!POLLING) return measureOpUnpolled(fleetRun, op, members, rep, sample);
  if (op === 'kill') {
    const victim = members[rep % n];
    sample.victim = victim.ip;
    const survivors = before.filter((ip) => ip !== victim.ip);
    const goneAt = new Map();
    let replacement;
    const allGone = () => goneAt.size === survivors.length;
    const w = follower({
      port: side.memberPort,
      n,
      deadline,
      alsoDone: allGone,
      // A survivor's loop ends once it dropped the dead IP and serves the new list.
      loopDone: (ip, { target, servedAt }) => (ip === victim.ip ? target !== undefined && (servedAt.has(ip) || !target.includes(ip)) : goneAt.has(ip) && target !== undefined && servedAt.has(ip)),
      onAnswer: (ip, list, key, sent, t, { targetKey, tTarget }) => {
        if (t0 === undefined || sent < t0 || !survivors.includes(ip) || goneAt.has(ip) || !list) return;
        // Gone: a list without the dead IP, or the new list where the replacement took that IP.
        if (!list.includes(victim.ip) || (targetKey !== undefined && key === targetKey && sent >= tTarget)) goneAt.set(ip, t);
      },
    });
    for (const ip of before) w.watch(ip);
    const stopFinding = followStarts(name, (c) => {
      if (oldIds.has(c.id) || !c.ip || replacement) return;
      replacement = c.ip;
      sample.replacement = c.ip;
      w.setTarget([...survivors, c.ip], performance.now());
    });
    await sleep(50); // the loops are warm and the event stream is open
    cpuA = cpuReading({ daemonPid: fleetRun.pid, ids: [...oldIds] });
    t0 = performance.now();
    sample.t0Wall = wall(t0);
    await killContainer(victim.id);
    sample.actionMs = performance.now() - t0;
    r = await w.result;
    stopFinding();
    if (r.timeout) r.served = { ...r.served, goneAt: Object.fromEntries(goneAt) };
    if (!r.timeout) {
      sample.goneMs = Math.max(...goneAt.values()) - t0;
      sample.goneFirstMs = Math.min(...goneAt.values()) - t0;
    }
  } else {
    const w = follower({
      port: side.memberPort,
      n,
      deadline,
      isNew: op === 'add' ? (l) => l.length === n + 1 && before.every((ip) => l.includes(ip)) : (l) => l.length === n - 1 && l.every((ip) => old.has(ip)),
    });
    for (const ip of before) w.watch(ip);
    await sleep(50);
    cpuA = cpuReading({ daemonPid: fleetRun.pid, ids: [...oldIds] });
    t0 = performance.now();
    sample.t0Wall = wall(t0);
    const cli = await fleet([op, '--count', '1', '--name', name], { timeoutMs: 120_000, side });
    sample.cliMs = cli.ms;
    if (cli.code !== 0) sample.cliError = (cli.stderr || cli.stdout).trim();
    // The contract: the command returns once the members already serve the new list.
    const now = await runningIps(name);
    sample.servedAtReturn = now.length === sample.to && (await allServe(now, side.memberPort));
    r = await w.result;
  }
  sample.cpu = cpuSpent(cpuA, cpuReading({ daemonPid: fleetRun.pid, ids: (await listMembers(name)).map((c) => c.id) }));
  if (r.timeout) {
    sample.timeout = true;
    sample.detail = { target: r.target, t0, served: r.served, servedAt: r.servedAt };
    return sample;
  }
  sample.firstMs = r.tFirst - t0;
  sample.convergeMs = r.tAll - t0;
  sample.list = r.list;
  sample.unsorted = r.unsorted;
  sample.requests = r.requests;
  sample.stillServing = await allServe(r.list, side.memberPort);
  return sample;
}

/** An operation with nobody polling: it ends when the daemon logs the change converged. */
async function measureOpUnpolled(fleetRun, op, members, rep, sample) {
  const { name, side } = fleetRun;
  const ids = members.map((m) => m.id);
  const cpuA = cpuReading({ daemonPid: fleetRun.pid, ids });
  const t0 = Date.now();
  sample.t0Wall = t0;
  const cause = op === 'kill' ? 'death' : 'scale';
  if (op === 'kill') {
    sample.victim = members[rep % members.length].ip;
    await killContainer(members[rep % members.length].id);
  } else {
    const cli = await fleet([op, '--count', '1', '--name', name], { timeoutMs: 120_000, side });
    sample.cliMs = cli.ms;
    if (cli.code !== 0) sample.cliError = (cli.stderr || cli.stdout).trim();
  }
  const deadline = Date.now() + OP_TIMEOUT_MS;
  const done = () => fleetRun.logs.some((l) => l.event === 'list.converged' && l.ts >= t0 - 5 && l.fields.cause === cause && Number(l.fields.members) === sample.to);
  while (!done() && Date.now() < deadline) await sleep(5);
  if (!done()) sample.timeout = true;
  sample.cpu = cpuSpent(cpuA, cpuReading({ daemonPid: fleetRun.pid, ids: (await listMembers(name)).map((c) => c.id) }));
  return sample;
}

/** `fleet up --replicas n`, timed until every member serves the list of all n. */
async function measureUp(fleetRun, n) {
  const { name, side, port } = fleetRun;
  const quiet = await quietHost(`${side.label} up ${n}`);
  const ips = new Set();
  const w = POLLING ? follower({ port: side.memberPort, n, deadline: performance.now() + UP_TIMEOUT_MS }) : undefined;
  const stopFinding = POLLING
    ? followStarts(name, (c) => {
        if (!c.ip || ips.has(c.ip) || w.target) return;
        ips.add(c.ip);
        w.watch(c.ip);
        if (ips.size === n) w.setTarget([...ips], -Infinity);
      })
    : () => {};
  await sleep(50);
  const dockerd = enginePids().dockerd;
  const dockerdBefore = { mem: memoryOf(dockerd), fds: fdCount(dockerd) };
  const cpuA = cpuReading({ daemonPid: process.pid, ids: [] });
  const t0 = performance.now();
  const sample = { side: side.label, op: 'up', from: 0, to: n, t0Wall: wall(t0), quiet };
  fleetRun.logs = [];
  const rec = await up({ name, replicas: n, port, side, logLevel: LOG_LEVEL, readyTimeoutMs: UP_TIMEOUT_MS, onLog: logKeeper(fleetRun) });
  fleetRun.record = rec;
  sample.servingMs = rec.upMs;
  const r = POLLING ? await w.result : { tAll: NaN, tFirst: NaN };
  stopFinding();
  const cpuB = cpuReading({ daemonPid: rec.child.pid, ids: (await listMembers(name)).map((c) => c.id) });
  // The daemon started after the first reading: all its CPU counts.
  sample.cpu = cpuSpent({ ...cpuA, daemon: 0 }, cpuB);
  if (r.timeout) {
    sample.timeout = true;
    return sample;
  }
  sample.convergeMs = r.tAll - t0;
  sample.firstMs = r.tFirst - t0;
  sample.unsorted = r.unsorted;
  const starting = fleetRun.logs.find((l) => l.event === 'fleet.starting');
  const ready = fleetRun.logs.find((l) => l.event === 'fleet.ready');
  if (starting && ready) sample.daemonReadyMs = ready.ts - starting.ts;
  sample.dockerdBefore = dockerdBefore;
  return sample;
}

/** What the daemon, the engine and the members hold for this fleet now. */
async function snapshot(fleetRun, { stats = false } = {}) {
  const ids = (await listMembers(fleetRun.name)).filter((c) => c.running).map((c) => c.id);
  const all = processes();
  const engine = enginePids(all);
  const shims = [...shimPids(ids, all).values()];
  const snap = {
    members: ids.length,
    daemon: { ...memoryOf(fleetRun.pid), fds: fdCount(fleetRun.pid) },
    dockerd: { ...memoryOf(engine.dockerd), fds: fdCount(engine.dockerd) },
    containerd: memoryOf(engine.containerd),
    shims: { count: shims.length, pssKiB: shims.map(pssOf), rssKiB: shims.map((p) => memoryOf(p)?.rssKiB) },
  };
  if (stats) {
    const s = await dockerStats(ids).catch((e) => (log(`docker stats: ${e.message}`), []));
    snap.memberMemBytes = s.map((x) => x.memBytes);
    snap.memberPids = s.map((x) => x.pids);
  }
  return snap;
}

/** `fleet status` of a fleet that does not run, against `node -e 0`, interleaved. */
async function cliStartup(sides) {
  const time = (cmd, args) =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const child = spawn(cmd, args, { stdio: 'ignore' });
      child.on('close', (code) => resolve({ ms: performance.now() - t0, code }));
    });
  const absent = `bench-absent-${process.pid}`;
  const runs = [{ label: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] }, ...sides.map((s) => ({ label: `${s.label}: fleet status (not running)`, cmd: s.command[0], args: [...s.command.slice(1), 'status', '--name', absent] }))];
  const times = new Map(runs.map((r) => [r.label, []]));
  for (let i = 0; i < CLI_RUNS; i++) {
    const order = i % 2 === 0 ? runs : [...runs].reverse();
    for (const r of order) {
      const { ms, code } = await time(r.cmd, r.args);
      if (r.label !== 'node -e 0' && code === 0) throw new Error(`${r.label} exited 0 for a fleet that does not run`);
      times.get(r.label).push(ms);
    }
  }
  return runs.map((r) => ({ label: r.label, command: [r.cmd, ...r.args].join(' '), ms: times.get(r.label) }));
}

const fleetName = (side, size) => `bench-${process.pid}-${side.label}-${size}`;

async function runSize(size, results) {
  const sides = sidesAt(size);
  const runs = new Map();
  for (const side of sides) runs.set(side, { name: fleetName(side, size), side, size, logs: [] });
  try {
    // Up rounds, sides alternating; the last round's fleets stay up for the operations.
    for (let round = 0; round < UP_ROUNDS; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const fleetRun = runs.get(side);
        fleetRun.port = await freePort();
        const s = await measureUp(fleetRun, size);
        s.size = size;
        s.round = round;
        results.samples.push(s);
        if (s.timeout) throw new Error(`${side.label} up ${size}: not fully listed within ${UP_TIMEOUT_MS / 1000} s`);
        await settled(fleetRun, size);
        s.snapshot = await snapshot(fleetRun);
        log(`${size} members, ${side.label}, up round ${round + 1}/${UP_ROUNDS}: fully listed ${fmt(s.convergeMs)} ms (serving printed ${fmt(s.servingMs)} ms), daemon RSS ${fmt(s.snapshot.daemon.rssKiB / 1024, 1)} MiB, ${s.snapshot.daemon.fds} fds`);
        if (round < UP_ROUNDS - 1) {
          const d = await down(fleetRun.name);
          s.downMs = d.downMs;
          s.dockerdAfterDown = memoryOf(enginePids().dockerd);
        }
      }
    }
    // Operations, sides interleaved per operation, the side going first alternating.
    const members = new Map();
    for (const side of sides) members.set(side, await settled(runs.get(side), size));
    for (let rep = 0; rep < REPS; rep++) {
      for (const op of ['remove', 'add', 'kill']) {
        const order = (rep + ['remove', 'add', 'kill'].indexOf(op)) % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) {
          const fleetRun = runs.get(side);
          const s = await measureOp(fleetRun, op, members.get(side), rep);
          s.size = size;
          results.samples.push(s);
          members.set(side, await settled(fleetRun, s.to));
          s.settledWall = Date.now();
          s.inside = insideTimes(fleetRun, op, s.t0Wall, s.settledWall);
          s.daemonRssKiB = memoryOf(fleetRun.pid)?.rssKiB;
          const extra = s.cliMs !== undefined ? `, cli returned ${fmt(s.cliMs)} ms${s.servedAtReturn === false ? ' BEFORE all served' : ''}` : '';
          const gone = s.goneMs !== undefined ? `dead IP gone ${fmt(s.goneMs)} ms, replaced ` : '';
          log(`${size} members, ${side.label}, rep ${rep + 1}/${REPS}, ${op} ${s.from}→${s.to}: ${s.timeout ? 'TIMEOUT' : `${gone}${fmt(s.convergeMs)} ms`}${extra}; daemon: ${s.inside.lastMs !== undefined ? `${fmt(s.inside.firstMs)}/${fmt(s.inside.lastMs)} ms` : '-'}${s.cliError ? ` error: ${s.cliError}` : ''}`);
        }
      }
    }
    for (const side of sides) {
      const fleetRun = runs.get(side);
      results.snapshots.push({ side: side.label, size, after: 'operations', ...(await snapshot(fleetRun, { stats: true })) });
    }
  } catch (error) {
    for (const fleetRun of runs.values()) {
      const tail = daemonLog(fleetRun.name).trim().split('\n').slice(-20).join('\n');
      if (tail) log(`daemon log tail for ${fleetRun.name}:\n${tail}`);
    }
    throw error;
  } finally {
    for (const fleetRun of runs.values()) {
      const d = await down(fleetRun.name);
      const lastUp = results.samples.findLast((s) => s.op === 'up' && s.side === fleetRun.side.label && s.size === size);
      if (lastUp && d) lastUp.downMs = d.downMs;
    }
  }
}

// ---- report ----

function cpuRows(samples) {
  const rows = [];
  for (const size of SIZES) {
    for (const side of sidesAt(size)) {
      for (const op of ['up', 'kill', 'remove', 'add']) {
        const cs = samples.filter((s) => s.size === size && s.side === side.label && s.op === op && s.cpu).map((s) => s.cpu);
        if (cs.length === 0) continue;
        const p = (k) => fmt(percentile(cs.map((c) => c[k]), 50));
        rows.push([size, side.label, op, p('wallMs'), `${p('hostBusyMs')} of ${p('hostTotalMs')}`, p('dockerdMs'), p('containerdMs'), p('shimsMs'), p('membersMs'), p('daemonMs'), p('cliMs'), p('benchMs'), p('restMs'), p('throttled')]);
      }
    }
  }
  return rows;
}

const MiB = (kib) => kib / 1024;
const range = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

function problemsOf(ss) {
  const ok = ss.filter((s) => !s.timeout);
  const problems = [];
  if (ss.length > ok.length) problems.push(`${ss.length - ok.length} timed out`);
  const count = (pred, what) => {
    const k = ss.filter(pred).length;
    if (k) problems.push(`${k} ${what}`);
  };
  count((s) => s.servedAtReturn === false, 'CLI returned before all served');
  count((s) => s.cliError, 'CLI errors');
  count((s) => s.stillServing === false, 'moved after converging');
  count((s) => s.unsorted > 0, 'with unsorted answers');
  count((s) => s.op === 'kill' && s.replacement === s.victim, "replacements got the killed member's IP");
  count((s) => s.inside?.byExec > 0, 'pushes by one-shot exec');
  count((s) => s.quiet && !s.quiet.quiet, 'began on a busy host');
  return problems.join('; ') || 'ok';
}

function opRows(samples, size, side) {
  const rows = [];
  const mine = samples.filter((s) => s.size === size && s.side === side.label);
  const row = (label, ss, pick, insidePick, cli = true, firstPick = (s) => s.firstMs) => {
    const ok = ss.filter((s) => !s.timeout);
    const v = ok.map(pick);
    if (ss.length === 0) return;
    const inside = insidePick ? ok.map(insidePick).filter(Number.isFinite) : [];
    const c = cli ? ss.map((s) => s.cliMs ?? s.servingMs).filter(Number.isFinite) : [];
    const lag = ok.map((s) => s.inside?.lagMs).filter(Number.isFinite);
    rows.push([size, side.label, label, ok.length, fmt(percentile(v, 50)), fmt(Math.max(...v)), fmt(Math.min(...v)), fmt(percentile(ok.map(firstPick), 50)), lag.length ? fmt(percentile(lag, 50)) : '-', inside.length ? `${fmt(percentile(inside, 50))} / ${fmt(Math.max(...inside))}` : '-', c.length ? fmt(percentile(c, 50)) : '-', problemsOf(ss)]);
  };
  const ups = mine.filter((s) => s.op === 'up');
  row(`up 0→${size}: fully listed`, ups, (s) => s.convergeMs, (s) => s.daemonReadyMs);
  const kills = mine.filter((s) => s.op === 'kill');
  row(`kill ${size}→${size}: dead IP gone`, kills, (s) => s.goneMs, (s) => s.inside?.firstMs, false, (s) => s.goneFirstMs);
  row(`kill ${size}→${size}: replaced`, kills, (s) => s.convergeMs, (s) => s.inside?.lastMs, false);
  row(`remove ${size}→${size - 1}`, mine.filter((s) => s.op === 'remove'), (s) => s.convergeMs, (s) => s.inside?.lastMs);
  row(`add ${size - 1}→${size}`, mine.filter((s) => s.op === 'add'), (s) => s.convergeMs, (s) => s.inside?.lastMs);
  return rows;
}

const GOALS = [
  { size: 10, op: 'kill', what: 'death: dead IP gone, p50', pick: (s) => s.goneMs, stat: 'p50', limit: 100 },
  { size: 10, op: 'remove', what: 'remove, p50', pick: (s) => s.convergeMs, stat: 'p50', limit: 400 },
  { size: 10, op: 'add', what: 'add, p50', pick: (s) => s.convergeMs, stat: 'p50', limit: 800 },
  { size: 100, op: 'up', what: 'up: fully listed, max', pick: (s) => s.convergeMs, stat: 'max', limit: 30_000 },
  { size: 100, op: 'remove', what: 'remove, p50', pick: (s) => s.convergeMs, stat: 'p50', limit: 1_000 },
  { size: 100, op: 'kill', what: 'death: dead IP gone, p50', pick: (s) => s.goneMs, stat: 'p50', limit: 1_000 },
  { size: 100, op: 'rss', what: 'daemon RSS, max', stat: 'max', limit: 150 },
];

function rssSamples(results, size, side) {
  const ops = results.samples.filter((s) => s.size === size && s.side === side && s.op !== 'up').map((s) => MiB(s.daemonRssKiB));
  const ups = results.samples.filter((s) => s.size === size && s.side === side && s.op === 'up' && s.snapshot).map((s) => MiB(s.snapshot.daemon.rssKiB));
  return [...ups, ...ops].filter(Number.isFinite);
}

function goalRows(results) {
  return GOALS.filter((g) => SIZES.includes(g.size)).map((g) => {
    const v = (
      g.op === 'rss'
        ? rssSamples(results, g.size, 'new')
        : results.samples.filter((s) => s.size === g.size && s.side === 'new' && s.op === g.op && !s.timeout).map(g.pick)
    ).filter(Number.isFinite);
    const x = g.stat === 'p50' ? percentile(v, 50) : Math.max(...v);
    const unit = g.op === 'rss' ? 'MiB' : 'ms';
    return [g.size, g.what, `≤ ${g.limit} ${unit}`, `${fmt(x, g.op === 'rss' ? 1 : 0)} ${unit}`, v.length === 0 ? '-' : x <= g.limit ? 'met' : '**NOT met**'];
  });
}

function resourceRows(results) {
  const rows = [];
  for (const size of SIZES) {
    for (const side of sidesAt(size)) {
      const ups = results.samples.filter((s) => s.size === size && s.side === side.label && s.op === 'up' && s.snapshot);
      const after = results.snapshots.find((s) => s.size === size && s.side === side.label);
      if (ups.length === 0) continue;
      const rss = rssSamples(results, size, side.label);
      const hwm = after ? MiB(after.daemon.hwmKiB) : NaN;
      const fds = ups.map((s) => s.snapshot.daemon.fds);
      // dockerd: what one up added (RSS, fds), per member; the engine's other work makes this noisy.
      const dRss = ups.map((s) => (s.snapshot.dockerd.rssKiB - s.dockerdBefore.mem.rssKiB) / size);
      const dFds = ups.map((s) => (s.snapshot.dockerd.fds - s.dockerdBefore.fds) / size);
      const shimPss = after ? median(after.shims.pssKiB) : NaN;
      const shimRss = after ? median(after.shims.rssKiB) : NaN;
      const memb = after?.memberMemBytes ?? [];
      rows.push([
        size,
        side.label,
        `${fmt(median(rss), 1)} / ${fmt(Math.max(...rss), 1)} / ${fmt(hwm, 1)}`,
        `${fmt(median(fds))}`,
        `${fmt(median(dRss), 0)} KiB`,
        `${fmt(median(dFds), 1)}`,
        `${fmt(shimPss, 0)} / ${fmt(shimRss, 0)} KiB`,
        memb.length ? `${fmt(median(memb) / 1024 / 1024, 2)} MiB (${fmt(Math.min(...memb) / 1024 / 1024, 2)}–${fmt(Math.max(...memb) / 1024 / 1024, 2)})` : '-',
        after?.memberPids?.length ? fmt(median(after.memberPids)) : '-',
        after ? `${fmt(MiB(after.dockerd.rssKiB))} / ${fmt(MiB(after.containerd.rssKiB))} MiB` : '-',
      ]);
    }
  }
  return rows;
}

function fdSlopes(results) {
  const out = [];
  for (const side of [NEW, OLD].filter(Boolean)) {
    const pts = SIZES.filter((s) => sidesAt(s).includes(side))
      .map((size) => [size, median(results.samples.filter((s) => s.size === size && s.side === side.label && s.op === 'up' && s.snapshot).map((s) => s.snapshot.daemon.fds))])
      .filter(([, f]) => Number.isFinite(f));
    for (let i = 1; i < pts.length; i++) out.push(`${side.label}: ${fmt((pts[i][1] - pts[i - 1][1]) / (pts[i][0] - pts[i - 1][0]), 2)} fds per member between ${pts[i - 1][0]} and ${pts[i][0]} members`);
  }
  return out;
}

function report(results) {
  const cpus = os.cpus();
  const lines = [
    `# fleet convergence, ${new Date().toISOString()}`,
    `host: ${os.hostname()}, ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), node ${process.version}; load average at start ${results.loadStart.map((x) => x.toFixed(2)).join(' ')}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    ...[NEW, OLD].filter(Boolean).map((s) => `${s.label}: ${s.command.join(' ')}, image ${s.image}, members on :${s.memberPort}`),
    `up rounds ${UP_ROUNDS}, operation reps ${REPS}; ${POLLING ? `poll pause per member max(${POLL_MS} ms, members × 1000 / ${POLL_RATE}): ${SIZES.map((n) => `${pollInterval(n)} ms at ${n}`).join(', ')}` : 'NO polling (BENCH_POLL_RATE=0): the daemon\'s own figures only'}; daemon log level ${LOG_LEVEL}; host quiet gate: busy < ${QUIET_BUSY * 100}% over 0.5 s before each measurement; nearest-rank percentiles`,
    '',
    '## CLI start-up (interleaved, ms)',
    '',
    table(
      ['command', 'n', 'median', 'p90', 'min', 'median − node -e 0'],
      results.cli.map((c) => [c.label, c.ms.length, fmt(median(c.ms), 1), fmt(percentile(c.ms, 90), 1), fmt(Math.min(...c.ms), 1), c.label === 'node -e 0' ? '-' : fmt(median(c.ms) - median(results.cli[0].ms), 1)]),
    ),
    '',
    '## Convergence (ms, outside: polled on every member; daemon: its own list.converged ms, p50 / max)',
    '',
    table(
      ['members', 'side', 'change', 'n', 'p50', 'max', 'min', 'first member p50', 'daemon began p50', 'daemon p50 / max', 'CLI returned p50', 'checks'],
      SIZES.flatMap((size) => sidesAt(size).flatMap((side) => opRows(results.samples, size, side))),
    ),
    '',
    '"daemon began": from the action to the start of the change in the daemon (its log time minus its ms: the CLI reaching it, or the die event). For up, "CLI returned" is when `fleet up` printed that it serves, and "daemon" is fleet.starting → fleet.ready in its log.',
    '',
    '## CPU during each change (CPU-ms from the action to convergence, p50 over the samples)',
    '',
    table(['members', 'side', 'change', 'wall', 'host busy of host total', 'dockerd', 'containerd', 'shims + runc', 'members (cgroups)', 'fleet daemon', 'fleet CLI', 'bench', 'rest (kernel, others)', 'member CPU throttles'], cpuRows(results.samples)),
    '',
    '## Goals (issue 7, new build)',
    '',
    table(['members', 'goal', 'limit', 'measured', ''], goalRows(results)),
    '',
    '## What each member costs',
    '',
    table(
      ['members', 'side', 'daemon RSS MiB: median / max / peak (VmHWM)', 'daemon fds', 'dockerd RSS per member (up delta)', 'dockerd fds per member', 'shim PSS / RSS per member', 'member memory (docker stats)', 'member pids', 'dockerd / containerd RSS'],
      resourceRows(results),
    ),
    '',
    ...fdSlopes(results),
    '',
    `fleet down: ${SIZES.flatMap((size) => sidesAt(size).map((side) => {
      const d = results.samples.filter((s) => s.size === size && s.side === side.label && s.op === 'up').map((s) => s.downMs).filter(Number.isFinite);
      return d.length ? `${side.label} ${size}: p50 ${fmt(percentile(d, 50))} ms (${range(d)})` : undefined;
    })).filter(Boolean).join('; ')}`,
  ];
  return lines.join('\n');
}

async function main() {
  installSignalHandlers();
  const results = { samples: [], snapshots: [], cli: [], loadStart: os.loadavg() };
  let failed;
  try {
    log(`CLI start-up: ${CLI_RUNS} runs of each, interleaved`);
    results.cli = await cliStartup([NEW, OLD].filter(Boolean));
    for (const size of SIZES) {
      try {
        await runSize(size, results);
      } catch (error) {
        failed = error;
        log(`size ${size} failed: ${error.stack ?? error}`);
      }
    }
  } finally {
    await cleanup();
    closeAgent();
  }
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
  process.stdout.write(`${report(results)}\n`);
  if (failed) process.exitCode = 1;
}

await main();
