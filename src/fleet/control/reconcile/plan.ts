// The planner: from what Docker shows and what the fleet should be, the actions that
// close the gap. Pure and level-triggered: the same observation always gives the same
// plan, so a missed event costs nothing but the wait for the next pass.
import { CREATED_GRACE_SECONDS } from '../../config.js';

export interface ObservedContainer {
  id: string;
  name: string;
  /** The address on the fleet's network; undefined when it has none. */
  ip: string | undefined;
  running: boolean;
  /** Docker's state: `created` (not started yet), `running`, `restarting`, `exited`… */
  state?: string;
  /** Unix seconds. */
  created: number;
}

/**
 * A container created this recently and not started yet is being started, not a leftover:
 * on a slow engine a start takes tens of seconds, and a start that timed out on our side may
 * still finish on the engine's. Reaping it earlier kills a member that was merely slow.
 */
export const STARTING_GRACE_SECONDS = CREATED_GRACE_SECONDS;

export interface PlanInput {
  desired: number;
  observed: readonly ObservedContainer[];
  /** Containers already being removed: never counted, always finished off. */
  removing: ReadonlySet<string>;
  /** Members being created right now: they count toward the desired size. */
  starting?: number;
  /** Unix seconds, to tell a container being started from a leftover; without it every `created` one is being started. */
  now?: number;
  /** Members that stopped moments ago: left alone for a grace period, in case they start again (a `docker restart`). */
  lingering?: ReadonlySet<string>;
  /** The list each container is known to serve, as `listKey` of it. */
  holding: ReadonlyMap<string, string>;
  /** Members passing health checks; surplus is taken from the others first. */
  healthy: ReadonlySet<string>;
  /** Running members that have failed health checks for too long: replaced. */
  failing?: ReadonlySet<string>;
}

export interface Push {
  id: string;
  ips: readonly string[];
}

export interface Plan {
  /** How many members to start. */
  start: number;
  /** Running members to remove gracefully: fence, drain, then stop. */
  drain: string[];
  /** Containers that are not serving (exited, without an address, failing for too long): remove now. */
  reap: string[];
  /** Members that stay, in list order. */
  keep: ObservedContainer[];
  /** The list every kept member must serve: their IPs, sorted. */
  list: string[];
  /** Members whose list differs from `list`. */
  push: Push[];
  /** Kept members that serve no list yet (new or adopted): they get the list before the others. */
  fresh: string[];
}

function ipValue(ip: string): number {
  return ip.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

export function compareIps(a: string, b: string): number {
  return ipValue(a) - ipValue(b);
}

export function listKey(ips: readonly string[]): string {
  return ips.join('\n');
}

// Surplus goes unhealthy first, then newest first, as a ReplicaSet scales down.
function removalOrder(healthy: ReadonlySet<string>) {
  return (a: ObservedContainer, b: ObservedContainer): number =>
    Number(healthy.has(a.id)) - Number(healthy.has(b.id)) || b.created - a.created || b.name.localeCompare(a.name);
}

export function plan(input: PlanInput): Plan {
  const reap: string[] = [];
  const drain: string[] = [];
  const serving: ObservedContainer[] = [];

  let pending = 0;
  for (const container of input.observed) {
    const serves = container.running && container.ip !== undefined && !input.failing?.has(container.id);
    // Created and not started yet, or restarting: on its way, neither serving nor to reap.
    const onItsWay =
      (container.state === 'created' && (input.now === undefined || input.now - container.created < STARTING_GRACE_SECONDS)) || container.state === 'restarting';
    if (input.removing.has(container.id)) (serves ? drain : reap).push(container.id);
    else if (serves) serving.push(container);
    else if (onItsWay) pending++;
    else if (!input.lingering?.has(container.id)) reap.push(container.id);
  }

  const surplus = Math.max(0, serving.length - input.desired);
  const victims = new Set([...serving].sort(removalOrder(input.healthy)).slice(0, surplus).map((c) => c.id));
  for (const id of victims) drain.push(id);

  const keep = serving.filter((c) => !victims.has(c.id)).sort((a, b) => compareIps(a.ip!, b.ip!));
  const list = keep.map((c) => c.ip!);
  const key = listKey(list);
  const push = keep.filter((c) => input.holding.get(c.id) !== key).map((c) => ({ id: c.id, ips: list }));
  const fresh = keep.filter((c) => input.holding.get(c.id) === undefined).map((c) => c.id);

  // A start in flight shows as a `created` container for part of its way: counted once.
  const starting = Math.max(input.starting ?? 0, pending);
  return { start: Math.max(0, input.desired - serving.length - starting), drain, reap, keep, list, push, fresh };
}

/** Nothing left to do: the fleet is what it should be and every member serves the list. */
export function isSettled(p: Plan): boolean {
  return p.start === 0 && p.drain.length === 0 && p.reap.length === 0 && p.push.length === 0;
}
