// Convergence benchmark: how long after `fleet add`, `docker kill` of one member and
// `fleet remove` every member serves the new list, at several fleet sizes.
//
// The clock starts just before the action (spawning the `fleet add`/`fleet remove` CLI, or
// the engine's kill call) and stops at the response with which the last member of the new
// list first served that list. Every member is polled on its own IP (http://<ip>/), each in
// its own loop with a short pause (BENCH_POLL_MS, 5 ms), so a dead or slow address never
// holds the others up. The new list is recognised from what members serve:
//   add:    n+1 IPs, all n old ones included;
//   remove: n-1 IPs, all from the old ones;
//   kill:   the survivors' IPs plus the replacement's, as soon as the engine reports the
//           start of a new member (followed on its event stream, no polling of the engine). Docker may give the replacement the killed
//           member's IP, so the new list can read exactly like the old one: only answers to
//           requests sent after the replacement appeared count.
// Afterwards the list is checked against the engine: it must equal the running members' IPs.
//
// Environment: BENCH_SIZES (3,10,30), BENCH_REPS (5), BENCH_POLL_MS (5), BENCH_JSON (write
// raw samples to this file), FLEET_BIN, FLEET_IMAGE (fleet-nginx:offline).
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { followStarts, killContainer, listMembers, runningIps, sortIps } from './lib/docker.mjs';
import { cleanup, daemonLog, down, fleet, fleetCommand, freePort, installSignalHandlers, status, up, IMAGE } from './lib/fleet.mjs';
import { closeAgent, get, memberUrl, parseList } from './lib/http.mjs';
import { fmt, percentile, table } from './lib/stats.mjs';

const SIZES = (process.env.BENCH_SIZES || '3,10,30').split(',').map(Number);
const REPS = Number(process.env.BENCH_REPS || 5);
const POLL_MS = Number(process.env.BENCH_POLL_MS || 5);
const OP_TIMEOUT_MS = 30_000;
const SETTLE_TIMEOUT_MS = 90_000;
const QUIET_MS = 500;

const log = (msg) => process.stderr.write(`[converge ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const keyOf = (ips) => sortIps(ips).join(',');

/** One GET of every IP; true when each serves `ips` (sorted). */
async function allServe(ips) {
  const want = keyOf(ips);
  const got = await Promise.all(ips.map((ip) => get(memberUrl(ip), { timeoutMs: 1_000 }).then((r) => (r.status === 200 ? keyOf(parseList(r.body)) : `status ${r.status}`), (e) => `error ${e.message}`)));
  return got.every((k) => k === want);
}

/**
 * Waits until the fleet is quiet at n members: the daemon reports n members up, healthy and
 * in sync, the engine runs exactly those, and each serves their list. Returns the members.
 */
async function settled(name, n) {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const st = await status(name);
      const running = (await listMembers(name)).filter((c) => c.running && c.ip);
      const ips = sortIps(running.map((c) => c.ip));
      const daemonIps = sortIps(st.members.map((m) => m.ip));
      const daemonOk = st.members.length === n && st.members.every((m) => m.healthy && m.state === 'up' && m.inSync !== false);
      last = `daemon: ${st.members.length} members (${st.members.filter((m) => m.healthy).length} healthy, ${st.members.filter((m) => m.inSync).length} in sync); engine: ${running.length} running`;
      if (daemonOk && ips.length === n && ips.join() === daemonIps.join() && (await allServe(ips))) {
        await sleep(QUIET_MS);
        return ips.map((ip) => running.find((c) => c.ip === ip));
      }
    } catch (error) {
      last = String(error);
    }
    await sleep(200);
  }
  throw new Error(`fleet ${name} did not settle at ${n} members within ${SETTLE_TIMEOUT_MS} ms (${last})`);
}

/**
 * Polls members until the new list is served by every IP in it. The new list is either the
 * first served list satisfying `isNew`, or the one `findTarget(set)` sets; with `findTarget`,
 * only answers to requests sent after it was set count. Resolves
 * { tFirst, tAll, list, unsorted } with absolute performance.now() times, or { timeout }.
 */
function watch(before, { isNew, findTarget }, deadline) {
  const served = new Map(); // ip -> { key, sent }
  const loops = new Set();
  let target;
  let targetKey;
  let tTarget = -Infinity;
  let tFirst;
  let unsorted = 0;
  let done = false;
  let finish;
  const result = new Promise((resolve) => (finish = resolve));

  const serves = (ip) => {
    const s = served.get(ip);
    return s !== undefined && s.key === targetKey && s.sent >= tTarget;
  };
  const setTarget = (list, t) => {
    target = sortIps(list);
    targetKey = keyOf(target);
    for (const other of target) loop(other);
    if (findTarget) tTarget = t;
  };
  const check = (t) => {
    if (done || !target) return;
    if (tFirst === undefined && target.some(serves)) tFirst = t;
    if (target.every(serves)) {
      done = true;
      finish({ tFirst, tAll: t, list: target, unsorted });
    }
  };
  const record = (ip, list, sent, t) => {
    if (done) return;
    const key = list ? keyOf(list) : null;
    if (list && list.length > 0 && list.join(',') !== key) unsorted++;
    served.set(ip, { key, sent });
    if (!target && !findTarget && list && isNew(list)) setTarget(list, t);
    check(t);
  };

  const loop = (ip) => {
    if (loops.has(ip)) return;
    loops.add(ip);
    void (async () => {
      while (!done && performance.now() < deadline) {
        // A member already serving the new list is not asked again (lists only move
        // forward within one change; a final round below checks that they stayed).
        if (target && (serves(ip) || !target.includes(ip))) return;
        let list = null;
        const sent = performance.now();
        try {
          const r = await get(memberUrl(ip), { timeoutMs: 500 });
          if (r.status === 200) list = parseList(r.body);
        } catch {
          // refused, unreachable or slow: this member does not serve the list yet
        }
        record(ip, list, sent, performance.now());
        await sleep(POLL_MS);
      }
    })();
  };

  for (const ip of before) loop(ip);
  const stopFinding = findTarget?.((list) => {
    if (!done && !target) setTarget(list, performance.now());
  });
  const timer = setTimeout(() => {
    done = true;
    finish({ timeout: true, served: Object.fromEntries(served), target });
  }, Math.max(0, deadline - performance.now()));
  return result.finally(() => {
    clearTimeout(timer);
    stopFinding?.();
  });
}

async function measure(name, op, members, rep) {
  const before = sortIps(members.map((m) => m.ip));
  const n = before.length;
  const old = new Set(before);
  const victim = op === 'kill' ? members[rep % n] : undefined;
  const oldIds = new Set(members.map((m) => m.id));
  const how = {
    add: { isNew: (l) => l.length === n + 1 && before.every((ip) => l.includes(ip)) },
    remove: { isNew: (l) => l.length === n - 1 && l.every((ip) => old.has(ip)) },
    kill: {
      // The survivors plus the replacement, once the engine runs it.
      findTarget: (set) =>
        followStarts(name, (c) => {
          if (oldIds.has(c.id) || !c.ip || sampleRepl.ip) return;
          sampleRepl.ip = c.ip;
          set([...before.filter((ip) => ip !== victim.ip), c.ip]);
        }),
    },
  }[op];
  const sampleRepl = {};

  const deadline = performance.now() + OP_TIMEOUT_MS;
  const watching = watch(before, how, deadline);
  await sleep(20); // the poll loops are warm and see the old list
  const t0 = performance.now();
  const sample = { op, size: n, rep };
  if (op === 'kill') {
    await killContainer(victim.id);
    sample.victim = victim.ip;
    sample.actionMs = performance.now() - t0;
  } else {
    const r = await fleet([op, '--count', '1', '--name', name], { timeoutMs: 120_000 });
    sample.cliMs = r.ms;
    if (r.code !== 0) sample.cliError = (r.stderr || r.stdout).trim();
    // The contract: the command returns once the members already serve the new list.
    const now = await runningIps(name);
    sample.servedAtReturn = now.length === (op === 'add' ? n + 1 : n - 1) && (await allServe(now));
  }
  const w = await watching;
  if (w.timeout) {
    sample.timeout = true;
    sample.detail = w;
    return sample;
  }
  if (op === 'kill') sample.replacement = sampleRepl.ip;
  sample.firstMs = w.tFirst - t0;
  sample.convergeMs = w.tAll - t0;
  sample.list = w.list;
  sample.unsorted = w.unsorted;
  // Still serving it (nothing moved backwards)?
  sample.stillServing = await allServe(w.list);
  return sample;
}

async function cliBaseline(name) {
  const times = [];
  for (let i = 0; i < 5; i++) times.push((await fleet(['status', '--json', '--name', name])).ms);
  return percentile(times, 50);
}

async function runSize(size, samples, notes) {
  const name = `bench-${process.pid}-${size}`;
  const port = await freePort();
  log(`fleet ${name}: up --replicas ${size} on 127.0.0.1:${port}`);
  const rec = await up({ name, replicas: size, port });
  log(`fleet ${name}: serving after ${fmt(rec.upMs)} ms`);
  try {
    let members = await settled(name, size);
    notes.cli[size] = await cliBaseline(name);
    for (let rep = 0; rep < REPS; rep++) {
      for (const op of ['add', 'remove', 'kill']) {
        const s = await measure(name, op, members, rep);
        samples.push(s);
        const extra = s.cliMs !== undefined ? ` cli ${fmt(s.cliMs)} ms, served at return: ${s.servedAtReturn}` : '';
        log(`${size} members, rep ${rep + 1}/${REPS}, ${op}: ${s.timeout ? 'TIMEOUT' : `${fmt(s.convergeMs)} ms (first member ${fmt(s.firstMs)} ms)`}${extra}${s.cliError ? ` error: ${s.cliError}` : ''}`);
        const expected = op === 'add' ? size + 1 : size;
        members = await settled(name, expected);
        if (!s.timeout) {
          const final = sortIps(members.map((m) => m.ip)).join(',');
          s.matchesEngine = final === s.list.join(',');
          if (!s.matchesEngine) log(`  the converged list ${s.list.join(',')} is not what the engine runs after settling (${final})`);
        }
      }
    }
  } catch (error) {
    const tail = daemonLog(name).trim().split('\n').slice(-20).join('\n');
    if (tail) log(`daemon log tail for ${name}:\n${tail}`);
    throw error;
  } finally {
    log(`fleet ${name}: down`);
    await down(name);
  }
}

function report(samples, notes) {
  const rows = [];
  for (const size of SIZES) {
    for (const op of ['add', 'kill', 'remove']) {
      const ss = samples.filter((s) => s.size === (op === 'remove' ? size + 1 : size) && s.op === op);
      if (ss.length === 0) continue;
      const ok = ss.filter((s) => !s.timeout);
      const conv = ok.map((s) => s.convergeMs);
      const first = ok.map((s) => s.firstMs);
      const cli = ss.map((s) => s.cliMs).filter((v) => v !== undefined);
      const problems = [];
      const timeouts = ss.length - ok.length;
      if (timeouts) problems.push(`${timeouts} timed out (>${OP_TIMEOUT_MS / 1000} s)`);
      const notAtReturn = ss.filter((s) => s.servedAtReturn === false).length;
      if (notAtReturn) problems.push(`${notAtReturn} returned before all members served`);
      const mism = ok.filter((s) => s.matchesEngine === false).length;
      if (mism) problems.push(`${mism} list != engine`);
      const moved = ok.filter((s) => !s.stillServing).length;
      if (moved) problems.push(`${moved} moved after converging`);
      const unsorted = ok.reduce((a, s) => a + s.unsorted, 0);
      if (unsorted) problems.push(`${unsorted} unsorted answers`);
      const reused = ok.filter((s) => s.op === 'kill' && s.replacement === s.victim).length;
      if (reused) problems.push(`${reused} replacement(s) got the killed member's IP`);
      const errors = ss.filter((s) => s.cliError).length;
      if (errors) problems.push(`${errors} CLI errors`);
      rows.push([
        size,
        op === 'remove' ? `remove (${size + 1}→${size})` : op === 'add' ? `add (${size}→${size + 1})` : `kill (${size}→${size})`,
        ok.length,
        fmt(percentile(conv, 50)),
        fmt(percentile(conv, 90)),
        `${fmt(Math.min(...conv))}–${fmt(Math.max(...conv))}`,
        fmt(percentile(first, 50)),
        cli.length ? fmt(percentile(cli, 50)) : '-',
        problems.join('; ') || 'ok',
      ]);
    }
  }
  const header = ['members', 'operation', 'n', 'p50 ms', 'p90 ms', 'min–max ms', 'first member p50 ms', 'CLI returned p50 ms', 'checks'];
  const at10 = samples.filter((s) => !s.timeout && (s.size === 10 || (s.op === 'remove' && s.size === 11)));
  const lines = [
    `# fleet convergence, ${new Date().toISOString()}`,
    `host: ${os.hostname()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, image ${IMAGE}, fleet ${fleetCommand().slice(1).join(' ')}`,
    `reps per operation per size: ${REPS}; poll interval ${POLL_MS} ms per member; percentiles are nearest-rank`,
    '',
    table(header, rows),
    '',
    `CLI overhead (fleet status --json round trip, p50): ${SIZES.map((s) => `${s} members ${fmt(notes.cli[s])} ms`).join(', ')}`,
  ];
  for (const op of ['add', 'kill', 'remove']) {
    const p50 = percentile(at10.filter((s) => s.op === op).map((s) => s.convergeMs), 50);
    if (Number.isFinite(p50)) lines.push(`target p50 < 300 ms at 10 members, ${op}: ${fmt(p50)} ms -> ${p50 < 300 ? 'met' : 'NOT met'}`);
  }
  return lines.join('\n');
}

async function main() {
  installSignalHandlers();
  const samples = [];
  const notes = { cli: {} };
  let failed;
  try {
    for (const size of SIZES) {
      try {
        await runSize(size, samples, notes);
      } catch (error) {
        failed = error;
        log(`size ${size} failed: ${error.stack ?? error}`);
      }
    }
  } finally {
    await cleanup();
    closeAgent();
  }
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ samples, notes }, null, 2));
  process.stdout.write(`${report(samples, notes)}\n`);
  if (failed) process.exitCode = 1;
}

await main();
