// The control loop: observe (Docker) -> plan (pure) -> apply (Docker + balancer).
// Every trigger (a Docker event, a reconnect of the event stream, the resync timer, a
// command) leads to the same full pass, coalesced, one at a time. A failed observation
// acts on nothing; an empty one is confirmed before anything is taken away.
import type { Logger } from '../../../log.js';
import type { MemberSet } from '../../data/members.js';
import type { MemberLimits } from '../../config.js';
import { FleetError, messageOf } from '../../errors.js';
import { Coalescer } from './coalesce.js';
import { type ObservedContainer, type Plan, isSettled, listKey, plan } from './plan.js';

export interface ControllerEngine {
  listMembers(fleet: string): Promise<ObservedContainer[]>;
  startMember(spec: { fleet: string; image: string; labels?: Record<string, string>; limits: MemberLimits }): Promise<string>;
  stopAndRemove(id: string, graceSeconds: number): Promise<void>;
  pushList(id: string, ips: readonly string[]): Promise<void>;
}

export interface ControllerHooks {
  /** An immediate health check of a member about to enter rotation. */
  check(id: string): Promise<boolean>;
  /** A member is gone: drop its pooled connections. */
  forget(id: string): void;
}

export interface ControllerOptions {
  fleet: string;
  image: string;
  labels?: Record<string, string>;
  /** Memory and CPU of each member started. */
  limits: MemberLimits;
  port: number;
  desired: number;
  drainTimeoutMs: number;
  stopGraceSeconds: number;
  /** A member whose health stays down this long is replaced; 0 never replaces. */
  replaceAfterMs: number;
  debounceMs: number;
}

interface Waiter {
  after: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Controller {
  desired: number;
  /** The last pass's error, cleared by a pass that succeeds. */
  lastError: Error | undefined;
  private readonly removing = new Set<string>();
  private readonly pushed = new Map<string, string>();
  /** Containers Docker said died: its list shows them running for a while after the event. */
  private readonly died = new Set<string>();
  private readonly coalescer: Coalescer;
  private waiters: Waiter[] = [];
  private started = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private current: string = listKey([]);

  constructor(
    private readonly engine: ControllerEngine,
    private readonly members: MemberSet,
    private readonly hooks: ControllerHooks,
    private readonly options: ControllerOptions,
    private readonly log: Logger,
  ) {
    this.desired = options.desired;
    this.coalescer = new Coalescer(() => this.pass(), options.debounceMs, (error) => this.log.error('reconcile.bug', { error: messageOf(error) }));
  }

  request(): void {
    this.coalescer.trigger();
  }

  /** A die event: the container no longer serves, whatever the next list says. */
  noteDied(id: string): void {
    this.died.add(id);
    this.request();
  }

  /** A start event: a container that died may run again. */
  noteStarted(id: string): void {
    this.died.delete(id);
    this.request();
  }

  /** True when every kept member is known to hold the current list. */
  inSync(id: string): boolean {
    return this.pushed.get(id) === this.current;
  }

  /** Resolves after a pass that starts from now finds nothing left to do. */
  settle(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        after: this.started,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          const why = this.lastError ? `: ${this.lastError.message}` : '';
          reject(new FleetError('FLEET_CONVERGE_TIMEOUT', `fleet "${this.options.fleet}" did not converge within ${Math.round(timeoutMs / 1000)} s${why}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
      this.request();
    });
  }

  stop(): void {
    this.stopped = true;
    this.coalescer.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
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
      settled = await this.reconcile();
      this.lastError = undefined;
      this.failures = 0;
    } catch (error) {
      this.lastError = error instanceof Error ? error : new Error(String(error));
      this.failures++;
      this.log.warn('reconcile.failed', { error: this.lastError.message, attempt: this.failures });
    }
    if (settled) {
      const done = this.waiters.filter((w) => w.after < index);
      this.waiters = this.waiters.filter((w) => w.after >= index);
      for (const waiter of done) {
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
      return;
    }
    // Work remains: confirm at once after a change, back off after a failure.
    const delay = this.failures === 0 ? 0 : Math.min(5_000, 100 * 2 ** Math.min(this.failures, 6));
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.request(), delay);
  }

  private async observe(): Promise<ObservedContainer[]> {
    const observed = await this.engine.listMembers(this.options.fleet);
    if (observed.length === 0 && this.members.size > 0) {
      // Never take a whole fleet away on one empty answer: ask again.
      await sleep(250);
      return this.engine.listMembers(this.options.fleet);
    }
    return observed;
  }

  private plan(listed: ObservedContainer[]): Plan {
    const seen = new Set(listed.map((c) => c.id));
    for (const id of this.removing) if (!seen.has(id)) this.removing.delete(id);
    for (const id of this.pushed.keys()) if (!seen.has(id)) this.pushed.delete(id);
    for (const id of this.died) if (!seen.has(id)) this.died.delete(id);
    const observed = listed.map((c) => (c.running && this.died.has(c.id) ? { ...c, running: false } : c));
    const healthy = new Set(this.members.rotation.map((m) => m.id));
    const failing = new Set(this.options.replaceAfterMs > 0 ? this.members.downFor(this.options.replaceAfterMs) : []);
    for (const id of failing) this.log.warn('member.replacing', { id: id.slice(0, 12), reason: `unhealthy for ${this.options.replaceAfterMs} ms` });
    const p = plan({ desired: this.desired, observed, removing: this.removing, pushed: this.pushed, healthy, failing });
    this.current = listKey(p.list);
    return p;
  }

  // One pass; true when the fleet already was what it should be.
  private async reconcile(): Promise<boolean> {
    let observed = await this.observe();
    let p = this.plan(observed);
    this.syncMembers(p);
    if (isSettled(p)) {
      await this.admit(p);
      return true;
    }
    this.log.debug('reconcile.plan', { start: p.start, drain: p.drain.length, reap: p.reap.length, push: p.push.length, desired: this.desired });

    for (const id of p.reap) {
      // Removing from now on: a reaped member that still runs (a hung one) must not be
      // counted again by the re-plan below once it left the member set.
      this.removing.add(id);
      this.takeOut(id);
    }
    for (const id of p.drain) {
      this.removing.add(id);
      this.members.fence(id);
    }

    const starts = Array.from({ length: p.start }, () =>
      this.engine.startMember({ fleet: this.options.fleet, image: this.options.image, labels: this.options.labels, limits: this.options.limits }).then((id) => {
        this.log.info('member.started', { id: id.slice(0, 12) });
      }),
    );
    const drains = p.drain.map(async (id) => {
      if (!(await this.members.idle(id, this.options.drainTimeoutMs))) this.log.warn('member.drain_timeout', { id: id.slice(0, 12) });
    });
    // A member died and a replacement starts: its peers get one push, with the replacement
    // in it, rather than one without the dead address and another with the new one. That
    // halves the execs, and when Docker hands the replacement the dead member's address
    // (it often does), the peers need none at all. Measured: pushing early made the final
    // list arrive ~0.5 s later at 10 members (docs/benchmarks.md).
    const results = await Promise.allSettled([...starts, ...drains]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');

    if (p.start > 0) {
      observed = await this.engine.listMembers(this.options.fleet);
      p = this.plan(observed);
      this.syncMembers(p);
    }

    const key = listKey(p.list);
    const pushes = await Promise.allSettled(p.push.map((push) => this.pushOne(push, key)));
    if (p.push.length > 0) this.log.info('list.pushed', { members: p.push.length, failed: pushes.filter((r) => r.status === 'rejected').length, list: p.list.join(',') });
    await this.admit(p);

    // Drained members stop gracefully; reaped ones are dead or wedged and serve nobody.
    const grace = new Map([...p.reap.map((id) => [id, 0] as const), ...p.drain.map((id) => [id, this.options.stopGraceSeconds] as const)]);
    const removals = await Promise.allSettled(
      [...grace].map(async ([id, seconds]) => {
        this.removing.add(id);
        await this.engine.stopAndRemove(id, seconds);
        this.takeOut(id);
        this.removing.delete(id);
        this.log.info('member.removed', { id: id.slice(0, 12) });
      }),
    );

    const error = failed ?? [...pushes, ...removals].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (error) throw error.reason instanceof Error ? error.reason : new Error(String(error.reason));
    return false;
  }

  private async pushOne({ id, ips }: { id: string; ips: readonly string[] }, key: string): Promise<void> {
    try {
      await this.engine.pushList(id, ips);
      this.pushed.set(id, key);
    } catch (error) {
      this.pushed.delete(id);
      this.members.setReady(id, false);
      throw error;
    }
  }

  /** Kept members enter the member set; ones that are neither kept nor draining leave it. */
  private syncMembers(p: Plan): void {
    const keep = new Set(p.keep.map((c) => c.id));
    for (const c of p.keep) this.members.upsert({ id: c.id, name: c.name, ip: c.ip!, port: this.options.port });
    for (const member of this.members.list()) {
      if (!keep.has(member.id) && member.state !== 'draining') this.takeOut(member.id);
    }
  }

  /** Members holding the current list may serve; a new one is checked at once rather than at the next interval. */
  private async admit(p: Plan): Promise<void> {
    const key = listKey(p.list);
    await Promise.all(
      p.keep.map(async (c) => {
        const holds = this.pushed.get(c.id) === key;
        this.members.setReady(c.id, holds);
        if (holds && this.members.get(c.id)?.health.up === undefined) await this.hooks.check(c.id);
      }),
    );
  }

  private takeOut(id: string): void {
    this.members.remove(id);
    this.hooks.forget(id);
  }
}
