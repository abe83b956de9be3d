// The balancer's links to the stack's agents, one per agent task: found by DNS (the agents'
// service is dnsrr, so `tasks.STACK_agent` names every one), each following the agent's
// /events (a death leaves the rotation and the lists at once) and taking the stack's lists
// (PUT /list, signed). A link that (re)connects is owed the current list at once: a restarted
// agent holds none. One push per agent at a time, and the newest list wins.
import { Resolver } from 'node:dns/promises';
import type { Logger } from '../../log.js';
import { messageOf } from '../errors.js';
import { type AgentTarget, followEvents, getStatus, putList } from '../agent/client.js';
import type { AgentEvent, ListBody, MemberHolding } from '../agent/protocol.js';
import { owed } from './changes.js';

export interface AgentSink {
  event(event: AgentEvent, agent: string): void;
  /** What the agent's members hold, from a /status or a PUT /list answer. */
  holdings(agent: string, members: MemberHolding[], generation: number | null): void;
  /** The agent went away (its task is gone): its members' holdings with it. */
  lost(agent: string): void;
}

export interface AgentLinksOptions {
  /** The DNS name whose A records are the agents, e.g. `tasks.web_agent`. */
  name: string;
  port: number;
  secret: Buffer;
  /** How long a PUT /list may take: the agent's converge timeout and some. */
  pushTimeoutMs: number;
  reconnectMaxMs: number;
}

const RECONNECT_BASE_MS = 250;

class AgentLink {
  connected = false;
  /** The generation this agent answered for last (converged, partial or stale); undefined after a reconnect. */
  acked: number | undefined;
  /** The newest generation sent and not yet answered (or answered): 0 after a reconnect. */
  private sent = 0;
  private stopped = false;
  private stream: { stop(): void; closed: Promise<void> } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private reading = false;

  constructor(
    readonly address: string,
    private readonly target: AgentTarget,
    private readonly links: AgentLinks,
  ) {}

  /** Follows /events, again after every drop, with backoff; on every connection the agent's status and the current list. */
  follow(): void {
    if (this.stopped) return;
    followEvents(this.target, (event) => this.links.sink.event(event, this.address)).then(
      (stream) => {
        this.stream = stream;
        this.connected = true;
        this.failures = 0;
        this.acked = undefined;
        this.sent = 0;
        this.links.log.info('agent.connected', { agent: this.address });
        void this.status();
        this.links.flush();
        void stream.closed.then(() => this.drop('the event stream closed'));
      },
      (error: unknown) => this.drop(messageOf(error)),
    );
  }

  private drop(reason: string): void {
    this.stream = undefined;
    if (this.stopped) return;
    if (this.connected) this.links.log.warn('agent.dropped', { agent: this.address, reason });
    else if (this.failures === 0) this.links.log.warn('agent.unreachable', { agent: this.address, reason });
    this.connected = false;
    this.acked = undefined;
    this.sent = 0;
    const delay = Math.min(this.links.options.reconnectMaxMs, RECONNECT_BASE_MS * 2 ** this.failures++);
    this.retryTimer = setTimeout(() => this.follow(), delay);
    this.retryTimer.unref();
  }

  /** What the agent's members hold now (GET /status); one read at a time. */
  async status(): Promise<void> {
    if (this.reading || !this.connected) return;
    this.reading = true;
    try {
      const answer = await getStatus(this.target);
      if (answer.status === 200 && 'members' in answer.body) this.links.sink.holdings(this.address, answer.body.members, answer.body.generation);
    } catch (error) {
      this.links.log.debug('agent.status_failed', { agent: this.address, error: messageOf(error) });
    } finally {
      this.reading = false;
    }
  }

  /**
   * Sends the current list if this agent is owed it and it is not on its way already. A newer
   * list does not wait for an older one's answer: the agent takes a list when it arrives and
   * answers once its members hold it (up to its converge timeout), so waiting would hold a
   * death back behind a member that is slow to start.
   */
  async push(): Promise<void> {
    const list = this.links.current;
    if (this.stopped || !this.connected || !list || !owed(this.acked, list.generation) || list.generation <= this.sent) return;
    this.sent = list.generation;
    try {
      const answer = await putList(this.target, list);
      if (answer.status === 200 && 'outcome' in answer.body) {
        const reply = answer.body;
        this.acked = Math.max(this.acked ?? 0, list.generation, reply.generation);
        this.links.sink.holdings(this.address, reply.members, reply.generation);
        this.links.pushed(this.address, list, reply.outcome, reply.generation);
      } else {
        const body = answer.body as { code?: string; error?: string };
        this.links.log.warn('agent.push_refused', { agent: this.address, status: answer.status, code: body.code, error: body.error });
      }
    } catch (error) {
      this.links.log.warn('agent.push_failed', { agent: this.address, generation: list.generation, error: messageOf(error) });
    }
    // Not answered: sent again at the next flush (every observation) or reconnection.
    if (this.acked === undefined || this.acked < list.generation) this.sent = Math.min(this.sent, this.acked ?? 0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stream?.stop();
  }
}

export class AgentLinks {
  /** The list every agent is owed. */
  current: ListBody | undefined;
  private readonly links = new Map<string, AgentLink>();
  private readonly resolver = new Resolver({ timeout: 2_000, tries: 2 });
  private resolveFailed = false;

  constructor(
    readonly options: AgentLinksOptions,
    readonly sink: AgentSink,
    readonly log: Logger,
    /** Called after each answered push: the list's generation and what the agent holds now. */
    readonly onPushed: (agent: string, list: ListBody, outcome: string, held: number) => void = () => undefined,
  ) {}

  get addresses(): string[] {
    return [...this.links.keys()].sort();
  }

  /** Each agent linked, by address, and whether its event stream is open. */
  get status(): { address: string; connected: boolean }[] {
    return [...this.links].map(([address, link]) => ({ address, connected: link.connected })).sort((a, b) => a.address.localeCompare(b.address));
  }

  get connectedCount(): number {
    return [...this.links.values()].filter((l) => l.connected).length;
  }

  /** Asks DNS for the agents and links new ones, unlinks gone ones. A failed or empty answer changes nothing. */
  async refresh(): Promise<void> {
    let found: string[];
    try {
      found = await this.resolver.resolve4(this.options.name);
      this.resolveFailed = false;
    } catch (error) {
      // ENOTFOUND while no agent task runs yet; told once until it answers again.
      if (!this.resolveFailed) this.log.warn('agent.dns_failed', { name: this.options.name, error: messageOf(error) });
      this.resolveFailed = true;
      return;
    }
    if (!found.length) return;
    for (const address of found) {
      if (this.links.has(address)) continue;
      const link = new AgentLink(address, { host: address, port: this.options.port, secret: this.options.secret, timeoutMs: this.options.pushTimeoutMs }, this);
      this.links.set(address, link);
      link.follow();
    }
    for (const [address, link] of this.links) {
      if (found.includes(address)) continue;
      link.stop();
      this.links.delete(address);
      this.sink.lost(address);
      this.log.info('agent.gone', { agent: address });
    }
  }

  /** Makes `list` the current one and sends it to every agent owed it. */
  publish(list: ListBody): void {
    this.current = list;
    this.flush();
  }

  flush(): void {
    for (const link of this.links.values()) void link.push();
  }

  /**
   * Asks every agent what its members hold. The answers to pushes say it too, but a push
   * answered `partial` (a member slow to take the list, or stopping) is not sent again, so
   * while a member of the current list is not known to hold it, the source asks this way.
   */
  reread(): void {
    for (const link of this.links.values()) void link.status();
  }

  pushed(agent: string, list: ListBody, outcome: string, held: number): void {
    this.onPushed(agent, list, outcome, held);
  }

  close(): void {
    for (const link of this.links.values()) link.stop();
    this.links.clear();
  }
}
