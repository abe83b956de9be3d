// What a process holds, read from /proc: the daemon's memory and descriptors, and the
// engine's share of each member (dockerd, containerd, one containerd-shim per container).
import { execFile } from 'node:child_process';
import fs from 'node:fs';

/** VmRSS, VmHWM (peak) and RssAnon of a process, in KiB; undefined when it is gone. */
export function memoryOf(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM'), anonKiB: kib('RssAnon') };
}

/**
 * Proportional set size in KiB (/proc/<pid>/smaps_rollup): shared pages divided among the
 * processes that map them, so that many shims running one binary are not counted many times.
 */
export function pssOf(pid) {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Open file descriptors of a process. */
export function fdCount(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** Every process as { pid, argv }. */
export function processes() {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length > 0) out.push({ pid: Number(entry), argv });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const base = (file) => file.slice(file.lastIndexOf('/') + 1);

/** The engine's own processes: dockerd and containerd (undefined where not found). */
export function enginePids(all = processes()) {
  const find = (name) => all.find((p) => base(p.argv[0]) === name)?.pid;
  return { dockerd: find('dockerd'), containerd: find('containerd') };
}

/** The containerd-shim of each container id given (shim v2 names its container with `-id`). */
export function shimPids(ids, all = processes()) {
  const wanted = new Set(ids);
  const found = new Map();
  for (const p of all) {
    if (!base(p.argv[0]).startsWith('containerd-shim')) continue;
    const i = p.argv.indexOf('-id');
    const id = i >= 0 ? p.argv[i + 1] : undefined;
    if (id && wanted.has(id)) found.set(id, p.pid);
  }
  return found;
}

const UNITS = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1e3, MB: 1e6, GB: 1e9 };

/** `docker stats --no-stream` of these containers: { id, memBytes, pids } each. */
export function dockerStats(ids) {
  if (ids.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    execFile('docker', ['stats', '--no-stream', '--no-trunc', '--format', '{{.ID}}\t{{.MemUsage}}\t{{.PIDs}}', ...ids], { timeout: 120_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout) => {
      if (error) {
        reject(error);
        return;
      }
      resolve(
        stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => {
            const [id, mem, pids] = line.split('\t');
            const m = /^([\d.]+)\s*([A-Za-z]+)/.exec(mem.split('/')[0].trim());
            return { id, memBytes: m ? Number(m[1]) * (UNITS[m[2]] ?? NaN) : NaN, pids: Number(pids) };
          }),
      );
    });
  });
}
