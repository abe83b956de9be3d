// Swarm's members, as the controller's counterpart for a stack: it launches nothing. It
// observes the members' tasks on a manager (every `periodMs`, backed off on errors, and at
// once when an agent says a member started), hears deaths from the agents' event streams,
// and makes the one list of the stack (generation.ts) which the balancer's member set and
// every agent get:
//
//   observe  /tasks of STACK_members (SwarmTasks) + deaths from /events (AgentLinks)
//   plan     stackList (pure): the members, the list, its generation; diffMembers (pure)
//   apply    the member set (add, fence and drain, remove), AgentLinks.publish
//
// A failed observation acts on nothing, and an empty one while members are known is asked
// again before it is believed. A death is acted on at once from the last observation.
import type { Logger } from '../../log.js';
import type { Timers } from '../control/reconcile/coalesce.js';
import type { MemberSet } from '../control/members.js';
import { messageOf } from '../errors.js';
import type { AgentEvent, MemberHolding } from '../agent/protocol.js';
import { diffMembers, holdingOwnList } from './changes.js';
import { type StackList, baseOf, stackList } from './generation.js';
import { type SwarmMember, type SwarmTask, type TaskObservation, observeTasks } from './tasks.js';

export interface StackSourceConfig {
  /** The members' service, `STACK_members`. */
  service: string;
  /** The overlay whose address is a member's, `STACK_fleet`. */
  network: string;
  /** The members' port. */
  port: number;
  periodMs: number;
  maxBackoffMs: number;
  drainTimeoutMs: number;
}

export interface StackSourceParts {
  tasks: { tasks(service: string): Promise<SwarmTask[]> };
  members: MemberSet;
  agents: { publish(list: { generation: number; ips: string[] }): void; flush(): void; refresh(): Promise<void>; reread(): void };
  /** An immediate health check of a member about to enter rotation. */
  check(id: string): Promise<boolean>;
  timers?: Timers;
}

export class StackSource {
  /** The list every member is owed now. */
  current: StackList | undefined;
  private last: TaskObservation | undefined;
  /** Containers an agent announced dead, while the observation still shows them running. */
  private readonly dead = new Set<string>();
  /** The highest base used: a reaped task never lowers a generation. */
  private floor = 0;
  /** ip → the generation of the first list that named it. */
  private readonly firstListed = new Map<string, number>();
  /** agent → (ip → the member's container and the generation it holds). */
  private readonly held = new Map<string, Map<string, { id: string; generation: number | null }>>();
  private readonly draining = new Set<string>();
  private timer: unknown;
  private failures = 0;
  private emptyOnce = false;
  private polling = false;
  private again = false;
  private stopped = false;
  private observedOnce: (() => void) | undefined;
  private readonly timers: Timers;

  constructor(
    private readonly parts: StackSourceParts,
    private readonly config: StackSourceConfig,
    private readonly log: Logger,
  ) {
    this.timers = parts.timers ?? globalThis;
  }

  /** Starts polling; resolves after the first observation that succeeded. */
  start(): Promise<void> {
    const first = new Promise<void>((resolve) => (this.observedOnce = resolve));
    void this.poll();
    return first;
  }

  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
  }

  /** Observes now (coalesced with a poll in flight). */
  request(): void {
    if (this.polling) this.again = true;
    else {
      this.timers.clearTimeout(this.timer);
      void this.poll();
    }
  }

  /** Whether a member serves the current list, by its agent's account. */
  inSync(id: string): boolean {
    const member = this.current?.members.find((m) => m.id === id);
    if (!member || !this.current) return false;
    return (this.generationHeld(member.ip) ?? 0) >= this.current.generation;
  }

  /** The generation of the list a member holds, by its agents' account; null when none reported one. */
  generationHeld(ip: string): number | null {
    let best: number | null = null;
    for (const agent of this.held.values()) {
      const g = agent.get(ip)?.generation;
      if (typeof g === 'number') best = Math.max(best ?? 0, g);
    }
    return best;
  }

  /** One line of an agent's /events. */
  event(event: AgentEvent, agent: string): void {
    if (event.type === 'start') {
      this.log.debug('agent.member_started', { agent, id: event.id.slice(0, 12), ip: event.ip });
      this.request();
      return;
    }
    // A task that never ran (it failed its start) is no member: nothing to take away.
    if (!this.last?.members.some((m) => m.id === event.id)) {
      this.log.debug('agent.member_died', { agent, id: event.id.slice(0, 12), ip: event.ip });
      return;
    }
    // lagMs: from the agent learning it to this balancer hearing it.
    this.log.info('member.died', { agent, id: event.id.slice(0, 12), ip: event.ip, lagMs: Date.now() - event.at });
    this.dead.add(event.id);
    if (this.parts.members.get(event.id)) this.parts.members.reportUnreachable(event.id, 'died');
    this.replan();
  }

  /**
   * What an agent says its members hold. A member never goes back to an older list, so an
   * answer older than one already heard (a /status read that crossed a push's answer) lowers
   * nothing for the same container; a member the answer leaves out is no longer the agent's.
   */
  holdings(agent: string, members: MemberHolding[]): void {
    const before = this.held.get(agent);
    const now = new Map<string, { id: string; generation: number | null }>();
    for (const m of members) {
      const known = before?.get(m.ip);
      const generation = known?.id === m.id && known.generation !== null ? Math.max(known.generation, m.generation ?? 0) : m.generation;
      now.set(m.ip, { id: m.id, generation });
    }
    this.held.set(agent, now);
    this.admit();
  }

  lost(agent: string): void {
    this.held.delete(agent);
  }

  /**
   * After a push: an agent that holds a newer generation than ours (another balancer read a
   * manager further on) raises our floor. Applied at the next read, not to the last one: a
   * stale observation under a raised base could name a member the other balancer knows dead.
   */
  pushed(held: number): void {
    this.floor = Math.max(this.floor, baseOf(held));
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    this.polling = true;
    let delay = this.config.periodMs;
    try {
      const [tasks] = await Promise.all([this.parts.tasks.tasks(this.config.service), this.parts.agents.refresh()]);
      const observed = observeTasks(tasks, this.config.service, this.config.network);
      if (observed.members.length === 0 && (this.last?.members.length ?? 0) > 0 && !this.emptyOnce) {
        // Asked again before believed: an empty answer must not take every member away.
        this.emptyOnce = true;
        delay = 0;
      } else {
        this.emptyOnce = false;
        if (this.failures > 0) this.log.info('swarm.observed', { service: this.config.service, after: this.failures });
        this.failures = 0;
        this.last = observed;
        // A death Swarm has recorded is in the observation now: the task is gone from it.
        const running = new Set(observed.members.map((m) => m.id));
        for (const id of this.dead) if (!running.has(id)) this.dead.delete(id);
        this.replan();
        this.observedOnce?.();
        this.observedOnce = undefined;
      }
    } catch (error) {
      // Nothing is acted on: the members stay as last observed.
      this.failures++;
      delay = Math.min(this.config.maxBackoffMs, this.config.periodMs * 2 ** this.failures);
      this.log.warn('swarm.observe_failed', { service: this.config.service, failures: this.failures, retryMs: delay, error: messageOf(error) });
    } finally {
      this.polling = false;
    }
    this.parts.agents.flush();
    // A member of the current list not known to hold it: ask the agents (pushes answered
    // `partial` are not sent again, and their answer is all the source would otherwise hear).
    const current = this.current;
    if (current?.members.some((m) => (this.generationHeld(m.ip) ?? 0) < current.generation)) this.parts.agents.reread();
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      delay = 0;
    }
    this.timer = this.timers.setTimeout(() => void this.poll(), delay);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** plan and apply, from the last observation and the deaths heard since. */
  private replan(): void {
    if (!this.last) return;
    const list = stackList(this.last.members, this.last.index, this.floor, this.dead);
    this.floor = Math.max(this.floor, baseOf(list.generation));
    const members = this.parts.members;
    const known = new Map<string, string>();
    for (const m of members.list()) if (!this.draining.has(m.id)) known.set(m.id, m.ip);
    const changes = diffMembers(known, list.members);
    for (const m of [...changes.added, ...changes.moved]) this.add(m, list.generation);
    for (const id of changes.gone) this.retire(id);
    const changed = !this.current || this.current.generation !== list.generation;
    const listChanged = !this.current || this.current.ips.join() !== list.ips.join();
    this.current = list;
    if (!changed) return;
    for (const ip of this.firstListed.keys()) if (!list.ips.includes(ip)) this.firstListed.delete(ip);
    if (listChanged) this.log.info('list.changed', { generation: list.generation, members: list.ips.length, added: changes.added.length, gone: changes.gone.length });
    this.parts.agents.publish({ generation: list.generation, ips: list.ips });
    this.admit();
  }

  private add(m: SwarmMember, generation: number): void {
    this.parts.members.upsert({ id: m.id, name: m.name, ip: m.ip, port: this.config.port });
    if (!this.firstListed.has(m.ip)) this.firstListed.set(m.ip, generation);
  }

  /** Out of rotation at once; its requests in flight may finish (a dead one has none to wait for). */
  private retire(id: string): void {
    const members = this.parts.members;
    const dead = this.dead.has(id) || members.get(id)?.health.up === false;
    members.fence(id);
    this.draining.add(id);
    const done = (): void => {
      this.draining.delete(id);
      members.remove(id);
    };
    if (dead) done();
    else void members.idle(id, this.config.drainTimeoutMs).then(done);
  }

  /** Members that hold a list naming them may enter rotation, after one check of their own. */
  private admit(): void {
    const ips = new Set([...this.held.values()].flatMap((agent) => [...agent.keys()]));
    const all = new Map([...ips].map((ip): [string, number] => [ip, this.generationHeld(ip) ?? 0]));
    const ready = new Set(holdingOwnList(this.firstListed, all));
    for (const m of this.current?.members ?? []) {
      const member = this.parts.members.get(m.id);
      if (!member || member.ready || !ready.has(m.ip)) continue;
      this.parts.members.setReady(m.id, true);
      void this.parts.check(m.id);
    }
  }
}
