// The control loop, one path for every change: observe -> plan -> apply.
//   observe  `pass` lists the fleet's containers (`observe`); an event between passes
//            (`observeDeath`, `observeStart`) updates the state (state.ts).
//   plan     `planPass` (plan.ts, pure) reads the state and the observation and returns the
//            plan, the starts, and the state the next pass reads.
//   apply    `apply` carries the plan out: the rotation, the starts, the lists (handed to the
//            distributor as the plan decided them), the removals. It does not plan again.
// Every trigger (a Docker event, a reconnect of the event stream, the resync timer, a
// command) leads to the same full pass, one at a time. A death also runs a pass at once from
// the last observation plus the event (`passFromLast`): the survivors get a list without the
// dead member before the engine is asked for a new list, and the full pass follows.
//
// A failed observation acts on nothing; an empty one is confirmed before anything is taken
// away. Starts and removals run in the background (a drain can take seconds): the next pass
// sees them through `startsInFlight` and `removalsInFlight`, and a pass never waits on one.
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
import { Coalescer, type Timers } from './coalesce.js';
import { type ObservedContainer, type PassConfig, type PassInput, type PassPlan, isSettled, planPass, waitsForRotation } from './plan.js';
import { type ReplacementConfig, type SystemicReason, backoff } from './replacement.js';
import { StaleLists } from './stale.js';
import { type ReconcileState, initialReconcileState, listAnswered, memberServes, memberStarted, noteDeath, noteStart, startFailed } from './state.js';
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
  /** The member restarted: what it holds is unknown again. */
  invalidate(id: string): void;
  holds(id: string): string | undefined;
  writing(id: string): string | undefined;
  /** Hands a plan's list decision over: who is served, who gets the list, who first. */
  publish(ips: readonly string[], change: Publish): ListTarget;
  waitHeld(ids: readonly string[], key: string, timeoutMs: number): Promise<void>;
  /** Tells the controller each time a member holds a list. */
  onHeld(listener: (id: string) => void): void;
  /** Tells the controller each time a push to a member fails, and why. */
  onFailed(listener: (id: string, reason: string) => void): void;
}

export interface ControllerHooks {
  /** An immediate health check of a member about to enter rotation. */
  check(id: string): Promise<boolean>;
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
  /** The timers of the passes the clock asks for: a grace period's end, a held replacement, a retry (the host's unless set). */
  timers?: Timers;
}

/** What a pass observed: the engine's list, and what this process knew beside it then. */
type Observation = Pick<PassInput, 'listed' | 'starting' | 'desired' | 'unhealthy' | 'downLong' | 'engineGoneAt' | 'image' | 'ready'>;

/** The members one change started and removed (container ids, in the order it happened); see `Controller.settle`. */
export interface ChangeOutcome {
  started: string[];
  removed: string[];
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
  /** What started and was removed while it waited. */
  outcome: ChangeOutcome;
  resolve: (outcome: ChangeOutcome) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** What set off the change in progress, for the convergence log. */
interface Change {
  cause: string;
  since: number;
}

export class Controller {
  private desiredCount: number;
  /** The image members run: new members start from it, and members on another are rolled over to it. */
  private desiredImage: string;
  /** The rotation's members when it last changed, as one key: a rolling update moves on when it changes. */
  private rotationKey = '';
  /** The last pass's error, cleared by a pass that succeeds. */
  lastError: Error | undefined;
  /** What the controller knows between passes; only `planPass` and the transitions of state.ts make a new one. */
  private state: ReconcileState;
  /** The last full pass's observation: a death is planned from it before the engine is asked again. */
  private lastObservation: Observation | undefined;
  /** The members the last full pass found on another image than the desired one. */
  private lastOutdated: string[] | undefined;
  /** Containers this controller removed that a list may still show (one begun before the removal ended). */
  private readonly removedIds = new Set<string>();
  /** Containers being stopped and removed now. */
  private readonly removalsInFlight = new Set<string>();
  private startsInFlight = 0;
  private readonly coalescer: Coalescer;
  private change: Change | undefined;
  private waiters: Waiter[] = [];
  /** Members that entered rotation so far: a settle that sees this grow is making progress. */
  private admitted = 0;
  /** Members started so far: on a slow engine a start can be the only progress for a while. */
  private startedCount = 0;
  /** Passes begun so far: a settle waits for one that begins after it. */
  private passCount = 0;
  private failures = 0;
  private retryTimer: unknown;
  private wakeTimer: unknown;
  private stopped = false;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly config: PassConfig;
  /** Members whose list pushes keep failing while the engine answers: replaced like unhealthy ones. */
  private readonly staleLists = new StaleLists();
  /** When a list last found the engine not running (ms since the epoch). */
  private engineGoneAt: number | undefined;

  constructor(
    private readonly engine: ControllerEngine,
    private readonly members: MemberSet,
    private readonly lists: ControllerLists,
    private readonly hooks: ControllerHooks,
    private readonly options: ControllerOptions,
    private readonly log: Logger,
  ) {
    this.desiredCount = options.desired;
    this.desiredImage = options.image;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? globalThis;
    this.config = { exitGraceMs: options.exitGraceMs ?? EXIT_GRACE_MS, maxStarts: MAX_CONCURRENT_STARTS, replacement: options.replacement ?? REPLACEMENT_DEFAULTS };
    this.state = initialReconcileState(this.config.replacement, this.now());
    this.coalescer = new Coalescer(() => this.pass(), options.coalesceMs, (error) => this.log.error('reconcile.bug', { error: error as Error }));
    lists.onHeld((id) => {
      this.staleLists.held(id);
      this.admit(id);
    });
    lists.onFailed((id, reason) => this.staleLists.failed(id, this.now(), reason));
    // A rolling update waits for its new member to serve: the rotation's change is its cue.
    members.onChange(() => {
      const key = members.rotation.map((m) => m.id).join(',');
      if (key === this.rotationKey) return;
      this.rotationKey = key;
      if (this.rolling) this.request();
    });
  }

  /** The image members run (and new ones start from). */
  get image(): string {
    return this.desiredImage;
  }

  /** True while the last pass found members on another image than the desired one. */
  get rolling(): boolean {
    return (this.lastOutdated?.length ?? 0) > 0;
  }

  /**
   * A new image for the members, asked for by a command: the passes replace the members on
   * another one, one at a time, start first (plan.ts). Call `settle` right after it to wait
   * for the last old member to go; calling it again with the old image rolls back the same way.
   */
  setImage(image: string, cause = 'rollout'): void {
    this.desiredImage = image;
    this.change = { cause, since: this.now() };
    this.request();
  }

  /** The image a member was started from, as the last pass saw it; undefined when unknown. */
  imageOf(id: string): string | undefined {
    return this.lastObservation?.listed.find((c) => c.id === id)?.image;
  }
  get desired(): number {
    return this.desiredCount;
  }

  /**
   * A new size, asked for by a command: the change is timed from now. Call `settle` right
   * after it to wait for the change and learn which members it started and removed.
   */
  scaleTo(count: number, cause = 'scale'): void {
    this.desiredCount = count;
    this.change = { cause, since: this.now() };
    this.request();
  }

  request(): void {
    this.coalescer.trigger();
  }

  /**
   * A die event: the container no longer serves, whatever the next list says. A pass from
   * the last observation plus the death hands its peers a list without it at once; the full
   * pass that follows decides the replacement and the removal.
   */
  observeDeath(id: string): void {
    const since = this.now();
    const member = this.members.get(id);
    this.state = noteDeath(this.state, id, since, member && { name: member.name, ip: member.ip, draining: member.state === 'draining' });
    if (member && this.lists.current?.ips.includes(member.ip)) this.change = { cause: 'death', since };
    this.passFromLast();
    this.request();
  }

  /** A start event: a container that died may run again, and a restarted one serves no list. */
  observeStart(id: string): void {
    this.state = noteStart(this.state, id);
    this.lists.invalidate(id);
    this.request();
  }

  /** True when the member serves the current list. */
  inSync(id: string): boolean {
    const current = this.lists.current;
    return current !== undefined && this.lists.holds(id) === current.key;
  }

  /**
   * Resolves after a pass that starts from now finds nothing left to do, with the container
   * ids this controller started and removed from the call until then. Called right after
   * `scaleTo`, these are that change's members (what `fleet add` and `fleet remove` report:
   * `const { started, removed } = await controller.settle(ms)`); a replacement or a reaped
   * dead member in that time, or another change settling at once, is part of it too. The
   * removed are gone from the member set by then: whoever reports their names keeps them
   * from before. It fails when `timeoutMs` pass without a
   * member entering rotation or a container started, or after SETTLE_LIMIT_MS in all: a large fleet on a slow engine
   * keeps going as long as members keep coming up (the engine here starts the 200th container
   * several times slower than the 10th).
   */
  settle(timeoutMs: number): Promise<ChangeOutcome> {
    return new Promise((resolve, reject) => {
      const begun = Date.now();
      // Progress is a member entering rotation or a container started: an engine that takes
      // minutes per start (held to a tenth of a core) is slow, not stuck.
      const progress = (): number => this.admitted + this.startedCount;
      let seen = progress();
      const expire = (): void => {
        const progressed = progress() !== seen;
        seen = progress();
        if (progressed && Date.now() - begun < SETTLE_LIMIT_MS) {
          waiter.timer = setTimeout(expire, timeoutMs);
          return;
        }
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const why = this.lastError ? `: ${this.lastError.message}` : '';
        const what = progressed ? `within ${Math.round(SETTLE_LIMIT_MS / 1000)} s` : `: no member started or came up for ${Math.round(timeoutMs / 1000)} s`;
        reject(new FleetError('FLEET_CONVERGE_TIMEOUT', `fleet "${this.options.fleet}" did not converge ${what}${why}`));
      };
      const waiter: Waiter = { after: this.passCount, outcome: { started: [], removed: [] }, resolve, reject, timer: setTimeout(expire, timeoutMs) };
      this.waiters.push(waiter);
      this.request();
    });
  }

  stop(): void {
    this.stopped = true;
    this.coalescer.stop();
    if (this.retryTimer) this.timers.clearTimeout(this.retryTimer);
    if (this.wakeTimer) this.timers.clearTimeout(this.wakeTimer);
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new FleetError('FLEET_NOT_RUNNING', `fleet "${this.options.fleet}" is shutting down`));
    }
  }

  /** Replacing as it stands: suspended or not, and what waits. */
  replacement(): ReplacementStatus {
    return { suspended: this.state.suspension?.reason, since: this.state.suspension?.since, held: this.state.held };
  }

  /** The full pass: observe, plan, apply; then settle the waiters, or ask for the next pass. */
  private async pass(): Promise<void> {
    if (this.stopped) return;
    const index = ++this.passCount;
    let settled = false;
    let waiting = false;
    try {
      // Counted before the observation: a start that ends meanwhile is then seen twice
      // (too few started, corrected next pass), never missed (one too many).
      const starting = this.startsInFlight;
      const observation = this.observation(await this.observe(), starting);
      this.lastObservation = observation;
      const p = this.plan('list', observation);
      this.lastOutdated = p.plan.outdated;
      await this.apply(p);
      settled = isSettled(p.plan) && this.startsInFlight === 0 && this.removalsInFlight.size === 0;
      waiting = waitsForRotation(p.plan);
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
        waiter.resolve(waiter.outcome);
      }
      return;
    }
    // Work remains: after a failure, look again after a backoff; otherwise at once, unless
    // a start or a removal is in flight (each asks for a pass when it ends).
    // A rolling update waiting for its new member to serve is asked on by the rotation's change.
    if (this.failures > 0) this.retryLater();
    else if (this.startsInFlight === 0 && this.removalsInFlight.size === 0 && !waiting) this.request();
  }

  /**
   * A pass without a list: the last full pass's input plus what the state learned since (a
   * death). It decides only what the members serve and hands that over at once; starts and
   * removals wait for the full pass, which asks the engine. Nothing to plan from before the
   * first full pass.
   */
  private passFromLast(): void {
    if (!this.lastObservation || this.stopped) return;
    void this.apply(this.plan('last', this.lastObservation));
  }

  private retryLater(): void {
    if (this.retryTimer) this.timers.clearTimeout(this.retryTimer);
    const delay = backoff(this.failures + 1, 100, 5_000);
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.request();
    }, delay);
  }

  // observe: the fleet's containers as Docker lists them.
  private async observe(): Promise<ObservedContainer[]> {
    const observed = await this.list();
    if (observed.length === 0 && this.members.size > 0) {
      // Never take a whole fleet away on one empty answer: ask again.
      await new Promise<void>((resolve) => this.timers.setTimeout(() => resolve(), 250));
      return this.list();
    }
    return observed;
  }

  /** One list, timed: how fast the engine answers is part of what the pass observes. */
  private async list(): Promise<ObservedContainer[]> {
    const begun = this.now();
    try {
      const listed = await this.engine.listMembers(this.options.fleet);
      this.state = listAnswered(this.state, this.now(), true, this.now() - begun, this.config.replacement);
      return listed;
    } catch (error) {
      this.state = listAnswered(this.state, this.now(), false, this.now() - begun, this.config.replacement);
      this.staleLists.engineFailed();
      // Its socket gone or refusing: dockerd is not running, and what it was starting is dropped.
      if (/ENOENT|ECONNREFUSED/.test(error instanceof Error ? error.message : String(error))) this.engineGoneAt = this.now();
      throw error;
    }
  }

  /** What this process knows beside the engine's list: the desired size and the members' health. */
  private observation(all: ObservedContainer[], starting: number): Observation {
    // A list the engine began before a removal of ours ended still shows that container: it
    // is gone, and planning it again would remove it twice (and report it twice). A list
    // without it confirms the removal and ends the remembering.
    const listedIds = new Set(all.map((c) => c.id));
    for (const id of this.removedIds) if (!listedIds.has(id)) this.removedIds.delete(id);
    const listed = all.filter((c) => !this.removedIds.has(c.id));
    const unhealthy = new Set(this.members.list().filter((m) => m.health.up === false).map((m) => m.id));
    this.staleLists.keepOnly(new Set(listed.map((c) => c.id)));
    const downLong =
      this.options.replaceAfterMs > 0
        ? [...new Set([...this.members.downFor(this.options.replaceAfterMs, this.options.startPeriodMs ?? START_PERIOD_MS), ...this.staleLists.stale(this.now(), this.options.replaceAfterMs)])]
        : [];
    const ready = new Set(this.members.rotation.map((m) => m.id));
    return { listed, starting, desired: this.desiredCount, unhealthy, downLong, engineGoneAt: this.engineGoneAt, image: this.desiredImage, ready };
  }

  // plan: what to do about it (pure; see plan.ts), from the state, the observation, and
  // what each member's list channel holds and is writing now.
  private plan(from: PassInput['from'], observation: Observation): PassPlan {
    const holding = new Map<string, string>();
    const writing = new Map<string, string>();
    for (const { id } of observation.listed) {
      const held = this.lists.holds(id);
      if (held !== undefined) holding.set(id, held);
      const written = this.lists.writing(id);
      if (written !== undefined) writing.set(id, written);
    }
    const input: PassInput = { ...observation, from, now: this.now(), startsInFlight: this.startsInFlight, removalsInFlight: new Set(this.removalsInFlight), holding, writing };
    const decision = planPass(this.state, input, this.config);
    this.state = decision.state;
    return decision;
  }

  /**
   * apply: carries out one plan, step by step, and plans nothing again: what it starts, the
   * next pass sees.
   */
  private async apply(p: PassPlan): Promise<void> {
    const { plan } = p;
    if (p.from === 'list' && !isSettled(plan)) this.log.debug('reconcile.plan', { start: plan.start, drain: plan.drain.length, reap: plan.reap.length, push: plan.push.length, desired: this.desiredCount });
    this.report(p);

    // The balancer: kept members are known to it, others leave it (draining ones finish first).
    const keep = plan.keep.map((c) => c.id);
    for (const c of plan.keep) this.members.upsert({ id: c.id, name: c.name, ip: c.ip!, port: this.options.port });
    for (const member of this.members.list()) {
      if (!keep.includes(member.id) && member.state !== 'draining' && !plan.drain.includes(member.id)) this.members.remove(member.id);
    }

    // The rest start as these finish (each completion asks for a pass).
    for (const attempts of p.starts) this.startOne(attempts);
    if (p.from === 'list') this.wakeAt(p.wakeAt);

    // The lists, as the plan decided them: kept members are served, the list goes to those
    // that lack it, new ones first; nobody else is served.
    const change = this.change ?? { cause: 'reconcile', since: this.now() };
    const target = this.lists.publish(plan.list, { ...change, members: keep, to: plan.push, first: plan.fresh });
    const listed = this.lists.waitHeld(keep, target.key, LIST_WAIT_MS);

    // Removals: out of rotation now; stopped in the background, once the others serve a
    // list without them (and, for a drain, its requests are done).
    for (const id of p.removals.reap) this.remove(id, 0, false, listed);
    for (const id of p.removals.drain) this.remove(id, this.options.stopGraceSeconds, true, listed);

    await listed;
    for (const id of keep) this.admit(id);
  }

  /** Logs and counts what the plan decided about failures and replacing. */
  private report(p: PassPlan): void {
    for (const f of p.decided) {
      if (f.reason === 'start') continue;
      const member = f.id === undefined ? undefined : this.members.get(f.id);
      const reason = f.reason === 'died' ? 'died' : `unhealthy for ${this.options.replaceAfterMs} ms`;
      this.log.warn('member.replacing', { member: f.name ?? member?.name, id: f.id?.slice(0, 12), ip: f.ip ?? member?.ip, reason, attempt: f.attempts + 1, suspended: p.suspended });
      this.hooks.replacing?.(f.id!, f.reason === 'died' ? 'died' : 'unhealthy');
    }
    const s = p.suspension;
    if (s?.change === 'began') {
      this.log.warn('replacements.suppressed', { reason: p.suspended, held: s.held, desired: this.desiredCount, serving: this.members.rotation.length });
      if (s.held) this.hooks.suppressed?.(s.held);
    } else if (p.suspended) {
      if (p.decided.length) this.hooks.suppressed?.(p.decided.length);
    } else if (s?.change === 'ended') {
      this.log.info('replacements.resumed', { after: this.now() - s.since, held: s.held, starting: s.starting });
    }
  }

  /** A pass at `at` (a grace period ends, a held replacement may go), even if nothing else asks for one. */
  private wakeAt(at: number | undefined): void {
    if (this.wakeTimer) this.timers.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (at === undefined) return;
    this.wakeTimer = this.timers.setTimeout(() => {
      this.wakeTimer = undefined;
      this.request();
    }, Math.max(0, at - this.now()) + 10);
    (this.wakeTimer as { unref?: () => void }).unref?.();
  }

  /** A member now holds a list: it may serve (checked at once if it never was). */
  private admit(id: string): void {
    const member = this.members.get(id);
    if (!member || member.state === 'draining' || this.lists.holds(id) === undefined) return;
    this.members.setReady(id, true);
    this.admitted++;
    this.state = memberServes(this.state, id);
    if (member.health.up === undefined) void this.hooks.check(id);
  }

  /** Starts a member; `attempts` is how many failures in a row its slot had (0: a fresh start). */
  private startOne(attempts: number): void {
    this.startsInFlight++;
    this.engine.startMember({ fleet: this.options.fleet, image: this.desiredImage, labels: this.options.labels, limits: this.options.limits }).then(
      (id) => {
        this.startsInFlight--;
        this.startedCount++;
        this.state = memberStarted(this.state, id, attempts);
        for (const waiter of this.waiters) waiter.outcome.started.push(id);
        this.log.info('member.started', { id: id.slice(0, 12), attempt: attempts + 1 });
        this.request();
      },
      (error: Error) => {
        this.startsInFlight--;
        this.lastError = error;
        this.state = startFailed(this.state, this.now(), attempts, this.config.replacement);
        this.log.warn('member.start_failed', { error, attempt: attempts + 1 });
        this.request();
      },
    );
  }

  /** Removes a container in the background: drained members finish their requests and stop gracefully. */
  private remove(id: string, graceSeconds: number, drain: boolean, listed: Promise<void>): void {
    if (drain) this.members.fence(id);
    else this.members.remove(id);
    if (this.removalsInFlight.has(id)) return;
    this.removalsInFlight.add(id);
    void (async () => {
      try {
        await listed;
        if (drain && !(await this.members.idle(id, this.options.drainTimeoutMs))) this.log.warn('member.drain_timeout', { id: id.slice(0, 12) });
        await this.engine.stopAndRemove(id, graceSeconds);
        this.removedIds.add(id);
        this.members.remove(id);
        for (const waiter of this.waiters) waiter.outcome.removed.push(id);
        this.log.info('member.removed', { id: id.slice(0, 12) });
      } catch (error) {
        this.log.warn('member.remove_failed', { id: id.slice(0, 12), error: error as Error });
      } finally {
        this.removalsInFlight.delete(id);
        this.request();
      }
    })();
  }
}
