// The lists of one node's members: one MemberChannel (session, exec fallback, latest list
// wins) per local member, fed with the generations the stack's balancers number. Unlike the
// single-host ListDistributor, which numbers its own lists, the generation here comes from
// outside and only a newer one is ever pushed.
import type { Logger } from '../../log.js';
import { CHANNEL_DEFAULTS, type ChannelOptions, type ListTarget, type ListTransport, MemberChannel } from '../control/lists/channel.js';
import { listKey } from '../control/lists/distributor.js';
import { type ListBody, type ListReply, type MemberHolding, isNewer } from './protocol.js';

interface Member {
  ip: string;
  channel: MemberChannel;
}

export class NodeLists {
  private readonly members = new Map<string, Member>();
  private target: ListTarget | undefined;
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly transport: ListTransport,
    private readonly log: Logger,
    private readonly options: ChannelOptions = CHANNEL_DEFAULTS,
  ) {}

  get generation(): number | undefined {
    return this.target?.generation;
  }

  /** A local member to serve: its session opens and the current list goes to it at once. */
  track(id: string, ip: string): void {
    if (this.closed || this.members.has(id)) return;
    const channel = new MemberChannel(
      id,
      this.transport,
      {
        held: () => this.wake(),
        failed: (member, target, via, reason) => this.log.warn('agent.push_failed', { member: member.slice(0, 12), generation: target.generation, via, reason }),
        session: (member, state, reason) => this.log.debug('agent.session', { member: member.slice(0, 12), state, reason }),
      },
      this.options,
    );
    this.members.set(id, { ip, channel });
    channel.start();
    if (this.target) channel.set(this.target);
  }

  untrack(id: string): void {
    const member = this.members.get(id);
    if (!member) return;
    member.channel.close();
    this.members.delete(id);
    this.wake();
  }

  /** Takes a list if it is newer than the one held; false when it is stale and nothing was pushed. */
  offer(list: ListBody): boolean {
    if (!isNewer(this.target?.generation, list.generation)) {
      if (this.target && this.target.generation === list.generation && this.target.key !== listKey(list.ips)) {
        this.log.warn('agent.list_conflict', { generation: list.generation, note: 'two different lists under one generation: the first one stays' });
      }
      return false;
    }
    this.target = { generation: list.generation, key: listKey(list.ips), ips: [...list.ips] };
    for (const { channel } of this.members.values()) channel.set(this.target);
    return true;
  }

  holdings(): MemberHolding[] {
    return [...this.members].map(([id, { ip, channel }]) => ({ id, ip, generation: channel.holding?.generation ?? null }));
  }

  /** Resolves once every local member holds `generation` or newer, or after `timeoutMs`; says which. */
  async settle(generation: number, timeoutMs: number): Promise<ListReply> {
    const done = (): boolean => this.holdings().every((member) => member.generation !== null && member.generation >= generation);
    if (!done()) {
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        };
        const check = (): void => {
          if (done() || this.closed) finish();
        };
        const timer = setTimeout(finish, timeoutMs);
        this.waiters.add(check);
      });
    }
    return { outcome: done() ? 'converged' : 'partial', generation: this.target?.generation ?? generation, members: this.holdings() };
  }

  close(): void {
    this.closed = true;
    for (const { channel } of this.members.values()) channel.close();
    this.members.clear();
    this.wake();
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }
}
