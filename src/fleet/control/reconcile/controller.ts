// The control loop: observe (Docker) -> plan (pure) -> apply (Docker, the lists, the
// member set). Every trigger (a Docker event, a reconnect of the event stream, the resync
// timer, a command) leads to the same full pass, one at a time. A failed observation acts
// on nothing; an empty one is confirmed before anything is taken away. Starts and removals
// run in the background (a drain can take seconds): the next pass sees them through
// `starting` and `removing`, and a pass never waits on one.
//
// A failure (a death fleet did not ask for, a member unhealthy too long, a start that
// failed) is an observation like the others: the pass that sees it decides whether and
// when to replace it (replacement.ts: a backoff per slot, a fleet-wide rate, and no
// replacement at all while failures are systemic), on the controller's clock.
import type { Logger } from '../../../log.js';
import type { MemberSet } from '../members.js';
import { FleetError } from '../../errors.js';
import type { ListTarget } from '../lists/channel.js';
import type { Publish } from '../lists/distributor.js';
import { Coalescer } from './coalesce.js';
import { type ObservedContainer, type Plan, isSettled, plan } from './plan.js';
import { type ReplacementConfig, type ReplacementState, type SystemicReason, backoff, decide, engineAnswered, failed, initialState } from './replacement.js';
import {
  ENGINE_CONCURRENCY,
  ENGINE_SLOW_MS,
  REPLACE_BACKOFF_BASE_MS,
  REPLACE_BACKOFF_MAX_MS,
  REPLACE_BURST,
  REPLACE_REFILL_MS,
  START_PERIOD_MS,
  SYSTEMIC_ENGINE_ERRORS,
  ENGINE_CALM_MS,
  SYSTEMIC_MIN_FAILURES,
  SYSTEMIC_SHARE,
  SYSTEMIC_WINDOW_MS,
} from '../../config.js';

export interface ControllerEngine {
  listMembers(fleet: string): Promise<ObservedContainer[]>;
  startMember(spec: { fleet: string; image: string; labels?: Record<string, string>; limits: { memoryBytes: number; cpus: number } }): Promise<string>;
  stopAndRemove(id: string, graceSeconds: number): Promise<void>;
}

/** What the controller needs of the list distributor. */
export interface ControllerLists {
  readonly current: ListTarget | undefined;
  readonly tracked: string[];
  track(ids: Iterable<string>): void;
  untrack(id: string): void;
  invalidate(id: string): void;
  holds(id: string): string | undefined;
  publish(ips: readonly string[], change: Publish): ListTarget;
  waitHeld(ids: readonly string[], key: string, timeoutMs: number): Promise<void>;
}

export interface ControllerHooks {
  /** An immediate health check of a member about to enter rotation. */
  check(id: string): Promise<boolean>;
  /** A member is gone: drop its pooled connections. */
  forget(id: string): void;
  /** A member is being replaced: it died, or stayed unhealthy too long. */
  replacing?(id: string, reason: 'died' | 'unhealthy'): void;
  /** Replacements not started because replacing is suspended (counted once each). */
  suppressed?(count: number): void;
}

/** What `fleet status` says about replacing. */
export interface ReplacementStatus {
  /** Set while replacing is suspended: failures are systemic. */
  suspended: SystemicReason | undefined;
  /** Since when (ms since the epoch). */
  since: number | undefined;
  /** Replacements owed and not started yet (backoff, rate or suspension). */
  held: number;
}

export const REPLACEMENT_DEFAULTS: ReplacementConfig = {
  backoffBaseMs: REPLACE_BACKOFF_BASE_MS,
  backoffMaxMs: REPLACE_BACKOFF_MAX_MS,
  burst: REPLACE_BURST,
  refillMs: REPLACE_REFILL_MS,
  windowMs: SYSTEMIC_WINDOW_MS,
  systemicMin: SYSTEMIC_MIN_FAILURES,
  systemicShare: SYSTEMIC_SHARE,
  engineErrors: SYSTEMIC_ENGINE_ERRORS,
  engineCalmMs: ENGINE_CALM_MS,
  engineSlowMs: ENGINE_SLOW_MS,
};

export interface ControllerOptions {
  fleet: string;
  image: string;
  labels?: Record<string, string>;
  limits: { memoryBytes: number; cpus: number };
  port: number;
  desired: number;
  drainTimeoutMs: number;
  stopGraceSeconds: number;
  /** A member whose health stays down this long is replaced; 0 never replaces. */
  replaceAfterMs: number;
  /** A pass runs this long after the first trigger of a burst (a throttle: events cannot postpone it). */
  coalesceMs: number;
  /** A stopped member is removed this long after it stopped (EXIT_GRACE_MS unless set). */
  exitGraceMs?: number;
  /** A member's failed checks count only after this, unless it passed one (START_PERIOD_MS unless set). */
  startPeriodMs?: number;
  /** When and how fast failed members are replaced (REPLACEMENT_DEFAULTS unless set). */
  replacement?: ReplacementConfig;
  /** The clock every decision by time reads (Date.now unless set). */
  now?: () => number;
}

/** A failure seen since the last pass, for it to decide on. */
interface Failure {
  id: string | undefined;
  reason: 'died' | 'unhealthy' | 'start';
  /** How many failures in a row the slot had before this one. */
  attempts: number;
}

/** How long a pass waits for the members to hold a list it published. */
const LIST_WAIT_MS = 5_000;
/**
 * A stopped member is replaced at once but removed only this long after it stopped: a
 * `docker restart` brings it back (the surplus then goes, newest first), a `docker kill`
 * leaves it to be reaped.
 */
export const EXIT_GRACE_MS = 2_000;

/**
 * Member starts in flight at once (config.ts says why 4). 250 at once queue in dockerd past the
 * client's 30 s timeout and fail ("socket hang up").
 */
const MAX_CONCURRENT_STARTS = ENGINE_CONCURRENCY.starts;

/** However steady the progress, a settle gives up after this. */
const SETTLE_LIMIT_MS = 15 * 60_000;

interface Waiter {
  after: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** What set off the change in progress, for the convergence log. */
interface Change {
  cause: string;
  since: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Controller {
  private desiredCount: number;
  /** The last pass's error, cleared by a pass that succeeds. */
  lastError: Error | undefined;
  /** Containers decided for removal; the removal itself may be in flight. */
  private readonly removing = new Set<string>();
  private readonly removals = new Set<string>();
  private starting = 0;
  /** Containers Docker said died: its list shows them running for a while after the event. */
  private readonly died = new Set<string>();
  /** When each stopped member was first known to be stopped. */
  private readonly exited = new Map<string, number>();
  private readonly coalescer: Coalescer;
  private change: Change | undefined;
  private waiters: Waiter[] = [];
  /** Members that entered rotation so far: a settle that sees this grow is making progress. */
  private admitted = 0;
  private started = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly replacementConfig: ReplacementConfig;
  private policy: ReplacementState;
  /** Failures seen since the last pass. */
  private failuresSeen: Failure[] = [];
  /** Members started as a replacement, with their slot's failures in a row; forgotten once one serves. */
  private readonly lineage = new Map<string, number>();
  /** Members whose failure was counted already (a death has several events, a failing member many passes). */
  private readonly counted = new Set<string>();
  private suspension: { reason: SystemicReason; since: number } | undefined;
  private held = 0;

  constructor(
    private readonly engine: ControllerEngine,
    private readonly members: MemberSet,
    private readonly lists: ControllerLists,
    private readonly hooks: ControllerHooks,
    private readonly options: ControllerOptions,
    private readonly log: Logger,
  ) {
    this.desiredCount = options.desired;
    this.now = options.now ?? Date.now;
    this.replacementConfig = options.replacement ?? REPLACEMENT_DEFAULTS;
    this.policy = initialState(this.replacementConfig, this.now());
    this.coalescer = new Coalescer(() => this.pass(), options.coalesceMs, (error) => this.log.error('reconcile.bug', { error: error as Error }));
  }

  get desired(): number {
    return this.desiredCount;
  }

  /** A new size, asked for by a command: the change is timed from now. */
  scaleTo(count: number, cause = 'scale'): void {
    this.desiredCount = count;
    this.change = { cause, since: this.now() };
    this.request();
  }

  request(): void {
    this.coalescer.trigger();
  }

  /**
   * A die event: the container no longer serves, whatever the next list says. Its peers
   * get a list without it at once, before any pass; the replacement follows.
   */
  noteDied(id: string): void {
    const since = this.now();
    // A death fleet did not ask for (not one it is removing, not a second event of the same
    // one) is a failure for the next pass to decide on.
    const member = this.members.get(id);
    if (member && !this.removing.has(id) && !this.died.has(id) && member.state !== 'draining') {
      this.failuresSeen.push({ id, reason: 'died', attempts: this.lineage.get(id) ?? 0 });
    }
    this.died.add(id);
    this.exited.set(id, since);
    const ip = this.members.get(id)?.ip;
    const current = this.lists.current;
    this.lists.untrack(id);
    if (ip && current?.ips.includes(ip)) {
      this.change = { cause: 'death', since };
      this.lists.publish(
        current.ips.filter((x) => x !== ip),
        this.change,
      );
    }
    this.request();
  }

  /** A start event: a container that died may run again, and a restarted one serves no list. */
  noteStarted(id: string): void {
    this.died.delete(id);
    this.exited.delete(id);
    this.lists.invalidate(id);
    this.request();
  }

  /** True when the member serves the current list. */
  inSync(id: string): boolean {
    const current = this.lists.current;
    return current !== undefined && this.lists.holds(id) === current.key;
  }

  /** A member now holds a list: it may serve (checked at once if it never was). */
  admit(id: string): void {
    const member = this.members.get(id);
    if (!member || member.state === 'draining' || this.lists.holds(id) === undefined) return;
    this.members.setReady(id, true);
    this.admitted++;
    // A replacement that serves ends its slot's run of failures.
    this.lineage.delete(id);
    if (member.health.up === undefined) void this.hooks.check(id);
  }

  /**
   * Resolves after a pass that starts from now finds nothing left to do. It fails when
   * `timeoutMs` pass without a member entering rotation, or after SETTLE_LIMIT_MS in all: a
   * large fleet on a slow engine keeps going as long as members keep coming up (the engine
   * here starts the 200th container several times slower than the 10th).
   */
  settle(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const begun = Date.now();
      let seen = this.admitted;
      const expire = (): void => {
        const progressed = this.admitted !== seen;
        seen = this.admitted;
        if (progressed && Date.now() - begun < SETTLE_LIMIT_MS) {
          waiter.timer = setTimeout(expire, timeoutMs);
          return;
        }
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const why = this.lastError ? `: ${this.lastError.message}` : '';
        const what = progressed ? `within ${Math.round(SETTLE_LIMIT_MS / 1000)} s` : `: no member came up for ${Math.round(timeoutMs / 1000)} s`;
        reject(new FleetError('FLEET_CONVERGE_TIMEOUT', `fleet "${this.options.fleet}" did not converge ${what}${why}`));
      };
      const waiter: Waiter = { after: this.started, resolve, reject, timer: setTimeout(expire, timeoutMs) };
      this.waiters.push(waiter);
      this.request();
    });
  }

  stop(): void {
    this.stopped = true;
    this.coalescer.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new FleetError('FLEET_NOT_RUNNING', `fleet "${this.options.fleet}" is shutting down`));
    }
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    const index = ++this.started;
    let settled = false;
    try {
      // Counted before the observation: a start that ends meanwhile is then seen twice
      // (too few started, corrected next pass), never missed (one too many).
      const starting = this.starting;
      const observed = await this.observe();
      const p = this.planFor(observed, starting);
      await this.apply(p);
      settled = isSettled(p) && this.starting === 0 && this.removals.size === 0;
      this.lastError = undefined;
      this.failures = 0;
    } catch (error) {
      this.lastError = error instanceof Error ? error : new Error(String(error));
      this.failures++;
      this.log.warn('reconcile.failed', { error: this.lastError, attempt: this.failures });
    }
    if (settled) {
      this.change = undefined;
      const done = this.waiters.filter((w) => w.after < index);
      this.waiters = this.waiters.filter((w) => w.after >= index);
      for (const waiter of done) {
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
      return;
    }
    // Work remains: after a failure, look again after a backoff; otherwise at once, unless
    // a start or a removal is in flight (each asks for a pass when it ends).
    if (this.failures > 0) this.retryLater();
    else if (this.starting === 0 && this.removals.size === 0) this.request();
  }

  /** Replacing as it stands: suspended or not, and what waits. */
  replacement(): ReplacementStatus {
    return { suspended: this.suspension?.reason, since: this.suspension?.since, held: this.held };
  }

  private retryLater(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const delay = backoff(this.failures + 1, 100, 5_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.request();
    }, delay);
  }

  // observe: the fleet's containers as Docker lists them.
  private async observe(): Promise<ObservedContainer[]> {
    const observed = await this.list();
    if (observed.length === 0 && this.members.size > 0) {
      // Never take a whole fleet away on one empty answer: ask again.
      await sleep(250);
      return this.list();
    }
    return observed;
  }

  /** One list, timed: how fast the engine answers is part of what the pass observes. */
  private async list(): Promise<ObservedContainer[]> {
    const begun = this.now();
    try {
      const listed = await this.engine.listMembers(this.options.fleet);
      this.policy = engineAnswered(this.policy, this.now(), true, this.replacementConfig, this.now() - begun);
      return listed;
    } catch (error) {
      this.policy = engineAnswered(this.policy, this.now(), false, this.replacementConfig, this.now() - begun);
      throw error;
    }
  }

  // plan: what to do about it (pure; see plan.ts), from what this process knows.
  private planFor(listed: ObservedContainer[], starting: number): Plan {
    const seen = new Set(listed.map((c) => c.id));
    for (const id of this.removing) if (!seen.has(id) && !this.removals.has(id)) this.removing.delete(id);
    for (const id of this.died) if (!seen.has(id)) this.died.delete(id);
    const observed = listed.map((c) => (c.running && this.died.has(c.id) ? { ...c, running: false } : c));
    const now = this.now();
    const lingering = new Set<string>();
    for (const c of observed) {
      if (c.running || c.state === 'created') {
        this.exited.delete(c.id);
        continue;
      }
      const since = this.exited.get(c.id) ?? now;
      this.exited.set(c.id, since);
      if (now - since < (this.options.exitGraceMs ?? EXIT_GRACE_MS)) lingering.add(c.id);
    }
    for (const id of this.exited.keys()) if (!seen.has(id)) this.exited.delete(id);
    // A pass when the first grace period ends, even if nothing else asks for one.
    const grace = this.options.exitGraceMs ?? EXIT_GRACE_MS;
    const next = Math.min(...[...lingering].map((id) => this.exited.get(id)! + grace - now));
    if (Number.isFinite(next)) setTimeout(() => this.request(), next + 10).unref();
    const holding = new Map<string, string>();
    for (const c of listed) {
      const key = this.lists.holds(c.id);
      if (key !== undefined) holding.set(c.id, key);
    }
    // Surplus goes from members known to fail their checks first; a new or restarted member
    // that has not been checked yet is not held against.
    const healthy = new Set(listed.filter((c) => this.members.get(c.id)?.health.up !== false).map((c) => c.id));
    // While failures are systemic, a failing member is kept: it may serve again when the
    // engine does, and removing it is more work for an engine already short of it.
    const downLong = this.options.replaceAfterMs > 0 ? this.members.downFor(this.options.replaceAfterMs, this.options.startPeriodMs ?? START_PERIOD_MS) : [];
    const failing = new Set(this.suspension ? [] : downLong);
    for (const id of failing) {
      if (!this.removing.has(id) && !this.counted.has(id)) this.failuresSeen.push({ id, reason: 'unhealthy', attempts: this.lineage.get(id) ?? 0 });
    }
    for (const id of this.counted) if (!seen.has(id)) this.counted.delete(id);
    for (const id of this.lineage.keys()) if (!seen.has(id) && this.starting === 0) this.lineage.delete(id);
    return plan({ desired: this.desiredCount, observed, removing: this.removing, starting, now: Math.floor(now / 1000), lingering, holding, healthy, failing });
  }

  /**
   * The failures seen since the last pass, and what the policy lets start of the gap: owed
   * replacements after their backoff and within the rate, none while failures are systemic.
   */
  private decideStarts(gap: number): number[] {
    const now = this.now();
    const failures = this.failuresSeen.splice(0).filter((f) => f.id === undefined || !this.counted.has(f.id));
    for (const f of failures) {
      if (f.id !== undefined) this.counted.add(f.id);
      this.policy = failed(this.policy, now, f.attempts, this.replacementConfig);
    }
    const d = decide(this.policy, now, gap, this.desiredCount, this.replacementConfig, Math.max(0, MAX_CONCURRENT_STARTS - this.starting));
    this.policy = d.state;
    this.held = d.held;
    for (const f of failures) {
      if (f.reason === 'start') continue;
      const member = f.id === undefined ? undefined : this.members.get(f.id);
      const reason = f.reason === 'died' ? 'died' : `unhealthy for ${this.options.replaceAfterMs} ms`;
      this.log.warn('member.replacing', { member: member?.name, id: f.id?.slice(0, 12), ip: member?.ip, reason, attempt: f.attempts + 1, suspended: d.suspended });
      this.hooks.replacing?.(f.id!, f.reason === 'died' ? 'died' : 'unhealthy');
    }
    if (d.suspended && !this.suspension) {
      this.suspension = { reason: d.suspended, since: now };
      this.log.warn('replacements.suppressed', { reason: d.suspended, held: d.held, desired: this.desiredCount, serving: this.members.rotation.length });
      if (d.held) this.hooks.suppressed?.(d.held);
    } else if (d.suspended) {
      if (failures.length) this.hooks.suppressed?.(failures.length);
    } else if (this.suspension) {
      this.log.info('replacements.resumed', { after: now - this.suspension.since, held: d.held, starting: d.start.length });
      this.suspension = undefined;
    }
    // A pass when the next held replacement may go (a suspension is looked at again by every pass).
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (d.wakeAt !== undefined) {
      this.wakeTimer = setTimeout(() => this.request(), Math.max(0, d.wakeAt - now) + 10);
      this.wakeTimer.unref();
    }
    return [...d.start, ...Array.from({ length: d.fresh }, () => 0)];
  }

  // apply: carries out one plan. It does not observe or plan again: what it starts, the next pass sees.
  private async apply(p: Plan): Promise<void> {
    if (!isSettled(p)) this.log.debug('reconcile.plan', { start: p.start, drain: p.drain.length, reap: p.reap.length, push: p.push.length, desired: this.desiredCount });

    // The balancer: kept members are known to it, others leave it (draining ones finish first).
    const keep = new Set(p.keep.map((c) => c.id));
    for (const c of p.keep) this.members.upsert({ id: c.id, name: c.name, ip: c.ip!, port: this.options.port });
    for (const member of this.members.list()) {
      if (!keep.has(member.id) && member.state !== 'draining' && !p.drain.includes(member.id)) this.takeOut(member.id);
    }

    // The rest start as these finish (each completion asks for a pass).
    for (const attempts of this.decideStarts(p.start)) this.startOne(attempts);

    // The lists: every kept member is served, new ones first; nobody else is.
    for (const id of this.lists.tracked) if (!keep.has(id)) this.lists.untrack(id);
    this.lists.track(keep);
    const change = this.change ?? { cause: 'reconcile', since: this.now() };
    const target = this.lists.publish(p.list, { ...change, first: p.fresh });
    const listed = this.lists.waitHeld([...keep], target.key, LIST_WAIT_MS);

    // Removals: out of rotation and out of the lists now; stopped in the background, once
    // the others serve a list without them (and, for a drain, its requests are done).
    for (const id of p.reap) this.remove(id, 0, false, listed);
    for (const id of p.drain) this.remove(id, this.options.stopGraceSeconds, true, listed);

    await listed;
    for (const id of keep) this.admit(id);
  }

  /** Starts a member; `attempts` is how many failures in a row its slot had (0: a fresh start). */
  private startOne(attempts: number): void {
    this.starting++;
    this.engine.startMember({ fleet: this.options.fleet, image: this.options.image, labels: this.options.labels, limits: this.options.limits }).then(
      (id) => {
        this.starting--;
        if (attempts > 0) this.lineage.set(id, attempts);
        this.log.info('member.started', { id: id.slice(0, 12), attempt: attempts + 1 });
        this.request();
      },
      (error: Error) => {
        this.starting--;
        this.lastError = error;
        this.policy = engineAnswered(this.policy, this.now(), false, this.replacementConfig);
        this.failuresSeen.push({ id: undefined, reason: 'start', attempts });
        this.log.warn('member.start_failed', { error, attempt: attempts + 1 });
        this.request();
      },
    );
  }

  /** Removes a container in the background: drained members finish their requests and stop gracefully. */
  private remove(id: string, graceSeconds: number, drain: boolean, listed: Promise<void>): void {
    this.removing.add(id);
    this.lists.untrack(id);
    if (drain) this.members.fence(id);
    else this.takeOut(id);
    if (this.removals.has(id)) return;
    this.removals.add(id);
    void (async () => {
      try {
        await listed;
        if (drain && !(await this.members.idle(id, this.options.drainTimeoutMs))) this.log.warn('member.drain_timeout', { id: id.slice(0, 12) });
        await this.engine.stopAndRemove(id, graceSeconds);
        this.takeOut(id);
        this.log.info('member.removed', { id: id.slice(0, 12) });
      } catch (error) {
        this.log.warn('member.remove_failed', { id: id.slice(0, 12), error: error as Error });
      } finally {
        this.removals.delete(id);
        this.request();
      }
    })();
  }

  private takeOut(id: string): void {
    this.members.remove(id);
    this.hooks.forget(id);
  }
}
