// Hands the member list to every member through its channel, one generation per distinct
// list, and measures each change from its cause (a command, a death) to the last member
// holding it. New members can be served first: the others get a list that names a new
// member only once that member serves it too.
import type { Logger } from '../../../log.js';
import { CHANNEL_DEFAULTS, type ChannelOptions, type ListTarget, type ListTransport, MemberChannel, type Via } from './channel.js';

export interface Publish {
  /** Why the list changed, for the convergence log: `scale`, `death`, `start`… */
  cause: string;
  /** When the change began (ms since the epoch); the convergence time counts from here. */
  since?: number;
  /** Members to serve first: the others get the list once these hold it, or after `firstTimeoutMs`. */
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
  /** A member holds a list (any generation). */
  held?(id: string, target: ListTarget): void;
  /** Every member tracked at publication holds a generation. */
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
  private firstTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly transport: ListTransport,
    private readonly log: Logger,
    private readonly hooks: DistributorHooks = {},
    private readonly options: ChannelOptions & { firstTimeoutMs: number } = { ...CHANNEL_DEFAULTS, firstTimeoutMs: 3_000 },
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
          held: (member, target, via) => this.onHeld(member, target, via),
          failed: (member, target, via, reason) => {
            this.hooks.pushed?.(via, false);
            this.log.warn('list.push_failed', { member: member.slice(0, 12), generation: target.generation, via, reason });
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

  sessionOpen(id: string): boolean {
    return this.channels.get(id)?.sessionOpen === true;
  }

  /** Makes `ips` the list every tracked member must serve; a list equal to the current one starts nothing. */
  publish(ips: readonly string[], change: Publish): ListTarget {
    const key = listKey(ips);
    if (this.target?.key === key) {
      if (change.first?.length) this.deliver(this.target, change.first);
      return this.target;
    }
    const target: ListTarget = { generation: ++this.generation, key, ips: [...ips] };
    this.target = target;
    if (this.pending) this.log.debug('list.superseded', { generation: this.pending.target.generation, by: target.generation });
    const members = [...this.channels.keys()];
    this.pending = { target, cause: change.cause, since: change.since ?? Date.now(), waiting: new Set(members), via: { session: 0, exec: 0, unchanged: 0 } };
    clearTimeout(this.firstTimer);
    const first = new Set((change.first ?? []).filter((id) => this.channels.has(id)));
    if (first.size === 0) this.deliver(target, members);
    else {
      this.deliver(target, [...first]);
      const rest = members.filter((id) => !first.has(id));
      const release = (): void => {
        clearTimeout(this.firstTimer);
        if (this.target === target) this.deliver(target, rest);
      };
      this.firstTimer = setTimeout(release, this.options.firstTimeoutMs);
      void this.waitHeld([...first], target.key, this.options.firstTimeoutMs).then(release);
    }
    this.checkConverged();
    return target;
  }

  /** Resolves once every one of `ids` holds `key` (or is no longer tracked), or after `timeoutMs`. */
  waitHeld(ids: readonly string[], key: string, timeoutMs: number): Promise<void> {
    const done = (): boolean => ids.every((id) => !this.channels.has(id) || this.holds(id) === key);
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const check = (): void => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.waiters.add(check);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.firstTimer);
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
    this.wake();
  }

  private deliver(target: ListTarget, ids: readonly string[]): void {
    for (const id of ids) this.channels.get(id)?.set(target);
  }

  private onHeld(id: string, target: ListTarget, via: Via | 'unchanged'): void {
    if (via !== 'unchanged') this.hooks.pushed?.(via, true);
    const pending = this.pending;
    if (pending && target.key === pending.target.key && pending.waiting.delete(id)) {
      pending.via[via]++;
      this.checkConverged();
    }
    this.hooks.held?.(id, target);
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
      ms: Date.now() - pending.since,
      via: pending.via,
    };
    this.log.info('list.converged', { generation: convergence.generation, cause: convergence.cause, members: convergence.members, ms: convergence.ms, bySession: pending.via.session, byExec: pending.via.exec });
    this.hooks.converged?.(convergence);
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }
}
