// The planner: from what Docker shows and what the fleet should be, the actions that
// close the gap. Pure and level-triggered: the same observation always gives the same
// plan, so a missed event costs nothing but the wait for the next pass.
//
// `plan` is the diff; `planPass` is one pass's whole decision around it: it reads the
// controller's state (state.ts) and what the pass observed, and returns the plan, the starts
// the replacement policy allows (replacement.ts), and the state the next pass reads.
import { CREATED_GRACE_SECONDS } from '../../config.js';
import { type ReplacementConfig, type SystemicReason, decide, failed } from './replacement.js';
import type { Failure, ReconcileState } from './state.js';

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
  /** The image it was started from; undefined when unknown (then it is never taken for outdated). */
  image?: string;
}

/**
 * During a rolling update, members in service beyond the desired count: one new member runs
 * beside the old ones until it serves, and only then does an old one go (start first).
 */
export const ROLLOUT_SURGE = 1;

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
  /**
   * Unix seconds when the engine was last found not running (its socket gone): a container
   * created before then and still not started is no start in progress but one the engine
   * dropped when it stopped, and it never starts by itself.
   */
  engineGoneAt?: number;
  /** The list each container is known to serve, as `listKey` of it. */
  holding: ReadonlyMap<string, string>;
  /** A list being written to a container (or retried), where it differs from the one it serves. */
  writing?: ReadonlyMap<string, string>;
  /** Members passing health checks; surplus is taken from the others first. */
  healthy: ReadonlySet<string>;
  /** Running members that have failed health checks for too long: replaced. */
  failing?: ReadonlySet<string>;
  /** The image members should run; members on another are replaced one at a time, start first. Undefined: any image will do. */
  image?: string;
  /** Members in rotation (they hold the list and pass their checks); without it every healthy member counts. */
  ready?: ReadonlySet<string>;
}

export interface Plan {
  /** How many members to start. */
  start: number;
  /** Running members to remove gracefully: fence, drain, then stop. */
  drain: string[];
  /** Containers that do not run (exited, or created and dropped): remove now. */
  reap: string[];
  /** Members that stay, in list order. */
  keep: ObservedContainer[];
  /** The list every kept member must serve: their IPs, sorted. */
  list: string[];
  /** Kept members the list goes to: they do not serve it, or another list is being written to them. */
  push: string[];
  /** Kept members that serve no list yet (new or adopted): they get the list before the others. */
  fresh: string[];
  /** Kept members on another image than the desired one: a rolling update is under way until none is left. */
  outdated: string[];
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
    // A running member goes gracefully, also one replaced for failing: it may still hold
    // requests (a member whose lists cannot land keeps answering), and one that ignores the
    // stop signal is killed by the engine after the grace. Only what runs no more is reaped.
    const serves = container.running && container.ip !== undefined && !input.failing?.has(container.id);
    // Created and not started yet, or restarting: on its way, neither serving nor to reap.
    const onItsWay =
      (container.state === 'created' &&
        (input.now === undefined || input.now - container.created < STARTING_GRACE_SECONDS) &&
        (input.engineGoneAt === undefined || container.created > input.engineGoneAt)) ||
      container.state === 'restarting';
    if (input.removing.has(container.id)) (container.running ? drain : reap).push(container.id);
    else if (serves) serving.push(container);
    else if (onItsWay) pending++;
    else if (!input.lingering?.has(container.id)) (container.running ? drain : reap).push(container.id);
  }

  // A rolling update (members on another image than the desired one): the surplus is taken
  // from members on the desired image only; an outdated member goes once a member on the
  // desired image serves in its place (as many as serve beyond the desired count), and one
  // start at most runs beside the old members (ROLLOUT_SURGE). Without outdated members this
  // is the plain diff: the surplus goes, the gap starts.
  const isOutdated = (c: ObservedContainer): boolean => input.image !== undefined && c.image !== undefined && c.image !== input.image;
  const current = serving.filter((c) => !isOutdated(c));
  const outdated = serving.filter(isOutdated);
  const order = removalOrder(input.healthy);
  const surplus = Math.max(0, current.length - input.desired);
  const victims = new Set([...current].sort(order).slice(0, surplus).map((c) => c.id));
  const inService = (c: ObservedContainer): boolean => (input.ready ? input.ready.has(c.id) : input.healthy.has(c.id));
  const currentServing = current.filter((c) => !victims.has(c.id) && inService(c)).length;
  const replaced = Math.max(0, Math.min(outdated.length, currentServing + outdated.length - input.desired));
  for (const c of [...outdated].sort(order).slice(0, replaced)) victims.add(c.id);
  for (const id of victims) drain.push(id);

  const keep = serving.filter((c) => !victims.has(c.id)).sort((a, b) => compareIps(a.ip!, b.ip!));
  const list = keep.map((c) => c.ip!);
  const key = listKey(list);
  const push = keep.filter((c) => input.holding.get(c.id) !== key || (input.writing?.get(c.id) ?? key) !== key).map((c) => c.id);
  const fresh = keep.filter((c) => input.holding.get(c.id) === undefined).map((c) => c.id);

  // A start in flight shows as a `created` container for part of its way: counted once.
  const starting = Math.max(input.starting ?? 0, pending);
  const gap = Math.min(input.desired - current.length, input.desired + (outdated.length ? ROLLOUT_SURGE : 0) - serving.length);
  return { start: Math.max(0, gap - starting), drain, reap, keep, list, push, fresh, outdated: keep.filter(isOutdated).map((c) => c.id) };
}

/** Nothing left to do: the fleet is what it should be, on the image it should run, and every member serves the list. */
export function isSettled(p: Plan): boolean {
  return p.start === 0 && p.drain.length === 0 && p.reap.length === 0 && p.push.length === 0 && p.outdated.length === 0;
}

/**
 * Work remains, but none this controller can do now: a rolling update waits for its new
 * member to enter rotation (the rotation's change asks for the next pass).
 */
export function waitsForRotation(p: Plan): boolean {
  return p.start === 0 && p.drain.length === 0 && p.reap.length === 0 && p.push.length === 0 && p.outdated.length > 0;
}

/** What a pass read of the world: the engine's list and what this process knows of each member. */
export interface PassInput {
  /**
   * `list`: the engine's list was just taken. `last`: the last pass's input again, plus the
   * events since (a death, in the state): what the members serve is decided from it, but
   * nothing is started or removed, which only a fresh list may decide (a start that ended since
   * is not in it).
   */
  from: 'list' | 'last';
  /** ms since the epoch. */
  now: number;
  desired: number;
  /** The fleet's containers as the engine listed them. */
  listed: readonly ObservedContainer[];
  /** Starts in flight when the list was asked for: a start that ends meanwhile is then seen twice (too few started, corrected next pass), never missed. */
  starting: number;
  /** Starts in flight now: at most `maxStarts` at once. */
  startsInFlight: number;
  /** Removals in flight now. */
  removalsInFlight: ReadonlySet<string>;
  /** The list each member serves, and the one being written to it where that differs. */
  holding: ReadonlyMap<string, string>;
  writing: ReadonlyMap<string, string>;
  /** Members known to fail their health checks. */
  unhealthy: ReadonlySet<string>;
  /** Members down for longer than replace-after: replaced, unless replacing is suspended. */
  downLong: readonly string[];
  /** ms since the epoch when the engine was last found not running; see PlanInput. */
  engineGoneAt?: number;
  /** The image members should run (see PlanInput.image). */
  image?: string;
  /** Members in rotation (see PlanInput.ready). */
  ready?: ReadonlySet<string>;
}

export interface PassConfig {
  /** A stopped member is removed this long after it stopped. */
  exitGraceMs: number;
  /** Member starts in flight at once. */
  maxStarts: number;
  replacement: ReplacementConfig;
}

export interface PassPlan {
  from: PassInput['from'];
  /** The diff: what the fleet and the lists should be. */
  plan: Plan;
  /** Starts to make now, each its slot's failures in a row (0: a fresh start, not a replacement). */
  starts: number[];
  /** Containers to remove now (none in a pass from the last input). */
  removals: { drain: string[]; reap: string[] };
  /** The failures this pass decided on (deaths and members unhealthy too long are logged as replaced). */
  decided: Failure[];
  /** Why replacing is suspended in this pass; undefined while it is not. */
  suspended: SystemicReason | undefined;
  /** Set when replacing became suspended (`began`) or resumed (`ended`) in this pass; `since` is when the suspension began. */
  suspension: { change: 'began' | 'ended'; since: number; held: number; starting: number } | undefined;
  /** When the next pass must run even if nothing asks for one (a grace period ends, a held replacement may go). */
  wakeAt: number | undefined;
  /** The state the next pass reads. */
  state: ReconcileState;
}

/**
 * One pass's decision, pure. From the state and the observation: which containers count as
 * stopped (a die event is trusted over a list that still shows the container running), which
 * stopped ones linger in their grace period, which failing members are replaced, the diff
 * (`plan`), and what the replacement policy lets start of the gap.
 */
export function planPass(state: ReconcileState, input: PassInput, config: PassConfig): PassPlan {
  const { now } = input;
  const seen = new Set(input.listed.map((c) => c.id));
  const decidedForRemoval = new Set([...state.decidedForRemoval].filter((id) => seen.has(id) || input.removalsInFlight.has(id)));
  const died = new Set([...state.died].filter((id) => seen.has(id)));
  const observed = input.listed.map((c) => (c.running && died.has(c.id) ? { ...c, running: false } : c));

  // Stopped members linger for the grace period: a `docker restart` brings them back.
  const exited = new Map<string, number>();
  const lingering = new Set<string>();
  for (const c of observed) {
    if (c.running || c.state === 'created') continue;
    const since = state.exited.get(c.id) ?? now;
    exited.set(c.id, since);
    if (now - since < config.exitGraceMs) lingering.add(c.id);
  }
  const graceEnds = Math.min(...[...lingering].map((id) => exited.get(id)! + config.exitGraceMs));

  // Surplus goes from members known to fail their checks first; a new or restarted member
  // that has not been checked yet is not held against.
  const healthy = new Set(input.listed.filter((c) => !input.unhealthy.has(c.id)).map((c) => c.id));
  // While failures are systemic, a failing member is kept: it may serve again when the
  // engine does, and removing it is more work for an engine already short of it.
  const failing = new Set(state.suspension ? [] : input.downLong);
  const engineGoneAt = input.engineGoneAt === undefined ? undefined : Math.floor(input.engineGoneAt / 1000);
  const p = plan({ desired: input.desired, observed, removing: decidedForRemoval, starting: input.starting, now: Math.floor(now / 1000), lingering, engineGoneAt, holding: input.holding, writing: input.writing, healthy, failing, image: input.image, ready: input.ready });

  if (input.from === 'last') {
    return { from: 'last', plan: p, starts: [], removals: { drain: [], reap: [] }, decided: [], suspended: state.suspension?.reason, suspension: undefined, wakeAt: undefined, state };
  }

  const unhealthy: Failure[] = [...failing].filter((id) => !decidedForRemoval.has(id) && !state.counted.has(id)).map((id) => ({ id, reason: 'unhealthy', attempts: state.lineage.get(id) ?? 0 }));
  const counted = new Set([...state.counted].filter((id) => seen.has(id)));
  const lineage = new Map([...state.lineage].filter(([id]) => seen.has(id) || input.startsInFlight > 0));

  // The failures seen since the last pass, and what the policy lets start of the gap: owed
  // replacements after their backoff and within the rate, none while failures are systemic.
  const decided = [...state.failures, ...unhealthy].filter((f) => f.id === undefined || !counted.has(f.id));
  let policy = state.policy;
  for (const f of decided) {
    if (f.id !== undefined) counted.add(f.id);
    policy = failed(policy, now, f.attempts, config.replacement);
  }
  const d = decide(policy, now, p.start, input.desired, config.replacement, Math.max(0, config.maxStarts - input.startsInFlight));
  let suspension = state.suspension;
  let change: PassPlan['suspension'];
  if (d.suspended && !suspension) {
    suspension = { reason: d.suspended, since: now };
    change = { change: 'began', since: now, held: d.held, starting: d.start.length };
  } else if (!d.suspended && suspension) {
    change = { change: 'ended', since: suspension.since, held: d.held, starting: d.start.length };
    suspension = undefined;
  }
  const wakes = [graceEnds, d.wakeAt ?? Infinity].filter(Number.isFinite);

  return {
    from: 'list',
    plan: p,
    starts: [...d.start, ...Array.from({ length: d.fresh }, () => 0)],
    removals: { drain: p.drain, reap: p.reap },
    decided,
    suspended: d.suspended,
    suspension: change,
    wakeAt: wakes.length ? Math.min(...wakes) : undefined,
    state: {
      decidedForRemoval: new Set([...decidedForRemoval, ...p.drain, ...p.reap]),
      died,
      exited,
      failures: [],
      counted,
      lineage,
      policy: d.state,
      suspension,
      held: d.held,
    },
  };
}
