// The list every member serves, and its generation, as a pure function of what any balancer
// of the stack can observe: the members' tasks (the manager's /tasks) and the deaths the
// agents announced. Several balancers push at once and an agent pushes only a list newer than
// the one it holds, so two balancers that observed the same must compute the same list under
// the same generation, and a later observation a greater one:
//
//   generation = base × 1024 + deaths
//
// base    the highest Version.Index of the members' tasks, any state (Swarm's raft index,
//         which only grows: every start, stop, failure or scale bumps it), never lower than
//         the highest base this balancer used before (a reaped task can take the highest
//         index with it);
// deaths  how many of the observed running tasks an agent has announced dead since (their
//         containers died; Swarm has not recorded it yet), at most 1023.
//
// A death heard lowers no generation: it adds one within the same base. Once Swarm records it
// the index grows, the base with it, and the count starts again from what is still unrecorded.

import type { SwarmMember } from './tasks.js';

/** Deaths counted within one base; more within one base count as this many. */
export const DEATHS_PER_BASE = 1024;

export interface StackList {
  generation: number;
  /** The members' addresses, sorted: every balancer writes the same bytes. */
  ips: string[];
  /** The members listed, by container id. */
  members: SwarmMember[];
}

/** The list for an observation: running members less those an agent said died. */
export function stackList(members: readonly SwarmMember[], index: number, floor: number, dead: ReadonlySet<string>): StackList {
  const base = Math.max(index, floor);
  const alive = members.filter((m) => !dead.has(m.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const deaths = Math.min(members.length - alive.length, DEATHS_PER_BASE - 1);
  // Every generation is at least 1: the agent takes 1 to 2^53-1.
  const generation = Math.max(1, base * DEATHS_PER_BASE + deaths);
  return { generation, ips: sortIps(alive.map((m) => m.ip)), members: alive };
}

/** The base a generation was computed from. */
export function baseOf(generation: number): number {
  return Math.floor(generation / DEATHS_PER_BASE);
}

/** IPv4 addresses in numeric order. */
export function sortIps(ips: readonly string[]): string[] {
  const key = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  return [...new Set(ips)].sort((a, b) => key(a) - key(b));
}
