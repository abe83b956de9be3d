// What a new stack list changes, as pure functions: which members the balancer's member set
// gains, loses or readdresses, which members may enter rotation, and which agents are owed
// the list.
import type { SwarmMember } from './tasks.js';

export interface MemberChanges {
  added: SwarmMember[];
  /** Known members whose address changed. */
  moved: SwarmMember[];
  /** Known members no longer listed, by id. */
  gone: string[];
}

/** The difference between the members known (id → ip) and those listed. */
export function diffMembers(known: ReadonlyMap<string, string>, listed: readonly SwarmMember[]): MemberChanges {
  const ids = new Set(listed.map((m) => m.id));
  return {
    added: listed.filter((m) => !known.has(m.id)),
    moved: listed.filter((m) => known.has(m.id) && known.get(m.id) !== m.ip),
    gone: [...known.keys()].filter((id) => !ids.has(id)).sort(),
  };
}

/**
 * Members that serve a list naming themselves: each holds (by an agent's account, ip →
 * generation) a generation at least that of the first list that named it. Only those enter
 * rotation, so every answer lists the member that served it.
 */
export function holdingOwnList(firstListed: ReadonlyMap<string, number>, held: ReadonlyMap<string, number | null>): string[] {
  return [...firstListed].filter(([ip, since]) => (held.get(ip) ?? 0) >= since).map(([ip]) => ip);
}

/** Whether an agent that acknowledged `acked` (undefined: nothing yet, or reconnected) is owed `generation`. */
export function owed(acked: number | undefined, generation: number): boolean {
  return acked === undefined || acked < generation;
}
