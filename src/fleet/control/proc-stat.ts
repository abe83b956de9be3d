// What the kernel says about a process (Linux /proc/<pid>/stat and /io): whether it is
// stopped, the CPU time it has used and the read and write calls it has made. The worker
// pool's watchdog tells a hung worker (stopped, or spinning without reaching its timers) from
// one that is only starved of CPU or working through a long turn of its loop.
import fs from 'node:fs';

export interface ProcStat {
  /** R running, S sleeping, D disk wait, T stopped, t traced, Z zombie… */
  state: string;
  /** User and system CPU time used, in ms. */
  cpuMs: number;
  /** read and write system calls made (sockets too: syscr + syscw), where /proc/<pid>/io can be read. */
  ioCalls?: number;
}

/** Clock ticks per second for utime and stime: USER_HZ, 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** The process's state and CPU time; undefined where there is no /proc (or no such process). */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const stat = parseProcStat(text);
  if (!stat) return undefined;
  try {
    const ioCalls = parseIoCalls(fs.readFileSync(`/proc/${pid}/io`, 'latin1'));
    if (ioCalls !== undefined) stat.ioCalls = ioCalls;
  } catch {
    // Not readable here (another user's process, a kernel without it): CPU alone decides.
  }
  return stat;
}

/** syscr + syscw of a /proc/<pid>/io text; undefined when either is missing. */
export function parseIoCalls(text: string): number | undefined {
  const read = /^syscr:\s*(\d+)$/m.exec(text);
  const write = /^syscw:\s*(\d+)$/m.exec(text);
  if (!read || !write) return undefined;
  return Number(read[1]) + Number(write[1]);
}

export function parseProcStat(text: string): ProcStat | undefined {
  // The command name (field 2) is in parentheses and may hold spaces and ')': fields after
  // the last ')' are fixed. state is field 3, utime 14, stime 15.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!fields[0] || !Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { state: fields[0], cpuMs: ((utime + stime) * 1000) / TICKS_PER_SECOND };
}
