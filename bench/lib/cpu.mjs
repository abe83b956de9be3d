// Where the CPU goes during a change: the host as a whole (/proc/stat) and each party to it,
// dockerd, containerd, the containerd-shims (with the runc runs they waited for), the members
// (their cgroups, exec'd processes included), the fleet daemon, this benchmark and the CLI
// processes it ran, read before and after.
import fs from 'node:fs';
import { enginePids, processes, shimPids } from './proc.mjs';

export const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of a process; with `children`, also of its children it waited for (runc under a shim, the CLI under the bench). */
export function ticksOf(pid, children = false) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return fields[11] + fields[12] + (children ? fields[13] + fields[14] : 0);
  } catch {
    return NaN;
  }
}

/** CPU of the children this process waited for (the CLI processes the bench ran). */
function childTicks() {
  return ticksOf(process.pid, true) - ticksOf(process.pid);
}

export function hostTicks() {
  const [, ...v] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, busy: total - v[3] - v[4] };
}

/** A container's CPU in ns and how often its CPU limit throttled it (cgroup v1 or v2). */
export function cgroupCpu(id) {
  for (const [acct, cpu] of [
    [`/sys/fs/cgroup/cpuacct/docker/${id}`, `/sys/fs/cgroup/cpu/docker/${id}`],
    [`/sys/fs/cgroup/cpu,cpuacct/docker/${id}`, `/sys/fs/cgroup/cpu,cpuacct/docker/${id}`],
  ]) {
    try {
      const ns = Number(fs.readFileSync(`${acct}/cpuacct.usage`, 'utf8'));
      const throttled = Number(/nr_throttled (\d+)/.exec(fs.readFileSync(`${cpu}/cpu.stat`, 'utf8'))?.[1] ?? NaN);
      return { ns, throttled };
    } catch {
      // not this layout
    }
  }
  for (const dir of [`/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`]) {
    try {
      const stat = fs.readFileSync(`${dir}/cpu.stat`, 'utf8');
      return { ns: Number(/usage_usec (\d+)/.exec(stat)?.[1]) * 1000, throttled: Number(/nr_throttled (\d+)/.exec(stat)?.[1] ?? NaN) };
    } catch {
      // not this layout
    }
  }
  return { ns: NaN, throttled: NaN };
}

/** One reading of everything, for `cpuSpent`. */
export function cpuReading({ daemonPid, ids }) {
  const all = processes();
  const engine = enginePids(all);
  const shims = new Map([...shimPids(ids, all)].map(([, pid]) => [pid, ticksOf(pid, true)]));
  const members = new Map(ids.map((id) => [id, cgroupCpu(id)]));
  const self = process.cpuUsage();
  return {
    at: Date.now(),
    host: hostTicks(),
    dockerd: ticksOf(engine.dockerd),
    containerd: ticksOf(engine.containerd),
    daemon: ticksOf(daemonPid),
    bench: (self.user + self.system) / 1000,
    cli: childTicks(),
    shims,
    members,
  };
}

/**
 * CPU milliseconds each party spent between two readings. Shims and members that appear
 * only in the second count whole (a new member's start is part of the change); those gone
 * by then are lost.
 */
export function cpuSpent(a, b) {
  const sumNew = (before, after, value) => {
    let sum = 0;
    for (const [k, v] of after) sum += value(v) - (before.has(k) ? value(before.get(k)) : 0);
    return sum;
  };
  const spent = {
    wallMs: b.at - a.at,
    hostBusyMs: (b.host.busy - a.host.busy) * TICK_MS,
    hostTotalMs: (b.host.total - a.host.total) * TICK_MS,
    dockerdMs: (b.dockerd - a.dockerd) * TICK_MS,
    containerdMs: (b.containerd - a.containerd) * TICK_MS,
    shimsMs: sumNew(a.shims, b.shims, (v) => v) * TICK_MS,
    membersMs: sumNew(a.members, b.members, (v) => v.ns) / 1e6,
    throttled: sumNew(a.members, b.members, (v) => v.throttled),
    daemonMs: (b.daemon - a.daemon) * TICK_MS,
    benchMs: b.bench - a.bench,
    cliMs: (b.cli - a.cli) * TICK_MS,
  };
  // What none of them spent: the kernel's own work (softirqs), short-lived helpers, other work on the host.
  spent.restMs = spent.hostBusyMs - spent.dockerdMs - spent.containerdMs - spent.shimsMs - spent.membersMs - spent.daemonMs - spent.benchMs - spent.cliMs;
  return spent;
}

/** The host's busy share of all CPUs over `ms`. */
export async function hostBusy(ms = 500) {
  const a = hostTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = hostTicks();
  return (b.busy - a.busy) / Math.max(1, b.total - a.total);
}

/**
 * Waits until the host is quiet (busy below `threshold` of all CPUs over half a second),
 * at most `maxWaitMs`; the shared machine runs other work. Resolves { waitedMs, busy, quiet }.
 */
export async function waitQuiet({ threshold = 0.25, maxWaitMs = 300_000, onWait } = {}) {
  const t0 = Date.now();
  let told = false;
  for (;;) {
    const busy = await hostBusy();
    if (busy < threshold) return { waitedMs: Date.now() - t0, busy, quiet: true };
    if (Date.now() - t0 > maxWaitMs) return { waitedMs: Date.now() - t0, busy, quiet: false };
    if (!told) onWait?.(busy);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
