// Hands the member list to the members a plan names, through each one's channel, one
// generation per distinct list, and measures each change from its cause (a command, a death)
// to the last member holding it. It decides nothing about who needs a list: the plan says
// which members are served (`members`), which get the list (`to`) and which first (`first`);
// the others get a list that names a new member only once that member serves it too.
import type { Logger } from '../../../log.js';
import type { Timers } from '../reconcile/coalesce.js';
import { CHANNEL_DEFAULTS, type ChannelOptions, type ListTarget, type ListTransport, MemberChannel, type Via } from './channel.js';

/** The distributor's clock: the first members' wait, `waitHeld` and the convergence time read it. */
export interface DistributorClock extends Timers {
  now(): number;
}

const HOST_CLOCK: DistributorClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** A plan's list decision, and the change it belongs to. */
export interface Publish {
  /** Why the list changed, for the convergence log: `scale`, `death`, `start`… */
  cause: string;
  /** When the change began (ms since the epoch); the convergence time counts from here. */
  since?: number;
  /** The members served from now on: sessions open for new ones and close for the others. Unset: the tracked ones. */
  members?: Iterable<string>;
  /** The members the list goes to (the plan's `push`). Unset: every tracked member. */
  to?: readonly string[];
  /** Of those, the ones to serve first: the others get the list once these hold it, or after `firstTimeoutMs`. */
  first?: readonly string[];
}

export interface Convergence {
  generation: number;
  cause: string;
  members: number;
  ms: number;
  via: Record<Via | 'unchanged', number>;
}

interface Pending {
  target: ListTarget;
  cause: string;
  since: number;
  waiting: Set<string>;
  via: Record<Via | 'unchanged', number>;
}

export interface DistributorHooks {
  /** Every member the generation went to holds it. */
  converged?(convergence: Convergence): void;
  /** A push was written (by session or exec) or failed. */
  pushed?(via: Via, ok: boolean): void;
}

export function listKey(ips: readonly string[]): string {
  return ips.join('\n');
}

export class ListDistributor {
  private readonly channels = new Map<string, MemberChannel>();
  private generation = 0;
  private target: ListTarget | undefined;
  private pending: Pending | undefined;
  private firstTimer: unknown;
  /** Members that get the current generation once its first members hold it. */
  private heldBack: Set<string> | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly heldListeners = new Set<(id: string, target: ListTarget) => void>();
  private readonly failedListeners = new Set<(id: string, reason: string) => void>();

  constructor(
    private readonly transport: ListTransport,
    private readonly log: Logger,
    private readonly hooks: DistributorHooks = {},
    private readonly options: ChannelOptions & { firstTimeoutMs: number } = { ...CHANNEL_DEFAULTS, firstTimeoutMs: 3_000 },
    private readonly clock: DistributorClock = HOST_CLOCK,
  ) {}

  /** The list every member must serve now. */
  get current(): ListTarget | undefined {
    return this.target;
  }

  private closed = false;

  get tracked(): string[] {
    return [...this.channels.keys()];
  }

  /** Starts serving these members (opens their sessions); members not in the set are left alone. */
  track(ids: Iterable<string>): void {
    // A start that finishes during shutdown must not open a session nobody will close (its
    // reopen timer would hold the stopped daemon, retrying an exec into a removed container).
    if (this.closed) return;
    for (const id of ids) {
      if (this.channels.has(id)) continue;
      const channel = new MemberChannel(
        id,
        this.transport,
        {
          held: (member, target, via) => this.heldBy(member, target, via),
          failed: (member, target, via, reason) => {
            this.hooks.pushed?.(via, false);
            this.log.warn('list.push_failed', { member: member.slice(0, 12), generation: target.generation, via, reason });
            for (const listener of [...this.failedListeners]) listener(member, reason);
          },
          session: (member, state, reason) => this.log.debug('list.session', { member: member.slice(0, 12), state, reason }),
        },
        this.options,
      );
      this.channels.set(id, channel);
      channel.start();
    }
  }

  /** Stops serving a member: its session closes. */
  untrack(id: string): void {
    const channel = this.channels.get(id);
    if (!channel) return;
    channel.close();
    this.channels.delete(id);
    this.heldBack?.delete(id);
    if (this.pending?.waiting.delete(id)) this.checkConverged();
    this.wake();
  }

  /** The member's list is unknown again (it restarted): its session reopens and the list goes first. */
  invalidate(id: string): void {
    this.channels.get(id)?.invalidate();
  }

  /** The list key a member is known to serve. */
  holds(id: string): string | undefined {
    return this.channels.get(id)?.holding?.key;
  }

  /** The list key being written to a member (or retried), where it differs from the one it serves. */
  writing(id: string): string | undefined {
    const channel = this.channels.get(id);
    const key = channel?.wants?.key;
    return key !== channel?.holding?.key ? key : undefined;
  }

  /** Calls `listener` each time a member holds a list (any generation). */
  onHeld(listener: (id: string, target: ListTarget) => void): () => void {
    this.heldListeners.add(listener);
    return () => this.heldListeners.delete(listener);
  }

  /** Tells `listener` each time a push to a member fails, and why; returns the unsubscribe. */
  onFailed(listener: (id: string, reason: string) => void): () => void {
    this.failedListeners.add(listener);
    return () => this.failedListeners.delete(listener);
  }

  sessionOpen(id: string): boolean {
    return this.channels.get(id)?.sessionOpen === true;
  }

  /**
   * Makes `ips` the list the members must serve, and hands it to `change.to`, `change.first`
   * before the others. A list equal to the current one is the same generation: it goes to
   * `to` (first ones at once, the others when that generation's first ones hold it).
   */
  publish(ips: readonly string[], change: Publish): ListTarget {
    if (change.members) this.serve(change.members);
    const to = (change.to ?? [...this.channels.keys()]).filter((id) => this.channels.has(id));
    const firstIds = new Set(change.first ?? []);
    const first = to.filter((id) => firstIds.has(id));
    const rest = to.filter((id) => !firstIds.has(id));
    const key = listKey(ips);
    if (this.target?.key === key) {
      const target = this.target;
      this.deliver(target, first);
      if (this.heldBack) for (const id of rest) this.heldBack.add(id);
      else this.deliver(target, rest);
      return target;
    }
    const target: ListTarget = { generation: ++this.generation, key, ips: [...ips] };
    this.target = target;
    if (this.pending) this.log.debug('list.superseded', { generation: this.pending.target.generation, by: target.generation });
    // Members the list does not go to serve it already.
    const unchanged = [...this.channels.keys()].filter((id) => !to.includes(id)).length;
    this.pending = { target, cause: change.cause, since: change.since ?? this.clock.now(), waiting: new Set(to), via: { session: 0, exec: 0, unchanged } };
    this.clock.clearTimeout(this.firstTimer);
    this.heldBack = undefined;
    this.deliver(target, first);
    if (first.length === 0) this.deliver(target, rest);
    else {
      const heldBack = new Set(rest);
      this.heldBack = heldBack;
      const release = (): void => {
        if (this.heldBack !== heldBack) return;
        this.clock.clearTimeout(this.firstTimer);
        this.heldBack = undefined;
        this.deliver(target, [...heldBack]);
      };
      this.firstTimer = this.clock.setTimeout(release, this.options.firstTimeoutMs);
      void this.waitHeld(first, target.key, this.options.firstTimeoutMs).then(release);
    }
    this.checkConverged();
    return target;
  }

  /** Serves exactly these members: sessions close for the others and open for new ones. */
  private serve(members: Iterable<string>): void {
    const keep = new Set(members);
    for (const id of [...this.channels.keys()]) if (!keep.has(id)) this.untrack(id);
    this.track(keep);
  }

  /** Resolves once every one of `ids` holds `key` (or is no longer tracked), or after `timeoutMs`. */
  waitHeld(ids: readonly string[], key: string, timeoutMs: number): Promise<void> {
    const done = (): boolean => ids.every((id) => !this.channels.has(id) || this.holds(id) === key);
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        this.clock.clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const check = (): void => {
        if (done()) finish();
      };
      const timer = this.clock.setTimeout(finish, timeoutMs);
      this.waiters.add(check);
    });
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.firstTimer);
    this.heldBack = undefined;
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
    this.wake();
  }

  private deliver(target: ListTarget, ids: readonly string[]): void {
    for (const id of ids) this.channels.get(id)?.set(target);
  }

  private heldBy(id: string, target: ListTarget, via: Via | 'unchanged'): void {
    if (via !== 'unchanged') this.hooks.pushed?.(via, true);
    const pending = this.pending;
    if (pending && target.key === pending.target.key && pending.waiting.delete(id)) {
      pending.via[via]++;
      this.checkConverged();
    }
    for (const listener of [...this.heldListeners]) listener(id, target);
    this.wake();
  }

  private checkConverged(): void {
    const pending = this.pending;
    if (!pending || pending.waiting.size > 0) return;
    this.pending = undefined;
    const convergence: Convergence = {
      generation: pending.target.generation,
      cause: pending.cause,
      members: this.channels.size,
      ms: this.clock.now() - pending.since,
      via: pending.via,
    };
    this.log.info('list.converged', { generation: convergence.generation, cause: convergence.cause, members: convergence.members, ms: convergence.ms, bySession: pending.via.session, byExec: pending.via.exec });
    this.hooks.converged?.(convergence);
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }
}
