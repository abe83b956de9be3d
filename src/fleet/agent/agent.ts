// `fleet agent`: one node's agent. It finds the stack's members on its own engine by label,
// holds one list session per member, takes lists only from signed requests, pushes only
// newer generations, and reports its members' starts and deaths to whoever follows /events.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../log.js';
import { Engine } from '../docker/engine.js';
import { LabelledContainers } from '../docker/labelled.js';
import { FleetError } from '../errors.js';
import { LocalMembers, type Member } from './local-members.js';
import { NodeLists } from './node-lists.js';
import type { AgentEvent, ListBody, ListReply, StatusReply } from './protocol.js';
import { createAgentServer } from './server.js';

export interface AgentOptions {
  selectors: readonly string[];
  network: string | undefined;
  host: string;
  port: number;
  secret: Buffer;
  /** PUT /list waits this long at most for every local member to hold the list. */
  convergeTimeoutMs: number;
  /** The full re-list's period, besides events and reconnects. */
  resyncMs: number;
}

export class Agent {
  private readonly lists: NodeLists;
  private readonly members: LocalMembers;
  private readonly server: http.Server;
  private readonly listeners = new Set<(event: AgentEvent) => void>();

  constructor(
    private readonly options: AgentOptions,
    private readonly log: Logger,
  ) {
    const engine = new Engine();
    this.lists = new NodeLists({ open: (id) => engine.openListSession(id), oneShot: (id, ips) => engine.pushList(id, ips) }, log);
    this.members = new LocalMembers(
      new LabelledContainers(options.selectors, options.network),
      { started: (member) => this.onStart(member), died: (member) => this.onDie(member) },
      log,
      options.resyncMs,
    );
    this.server = createAgentServer(
      {
        offer: (list) => this.offer(list),
        status: () => this.status(),
        subscribe: (listener) => {
          this.listeners.add(listener);
          return () => this.listeners.delete(listener);
        },
      },
      log,
      { secret: options.secret },
    );
  }

  /** Lists the local members, then listens; resolves with the listener's URL. */
  async start(): Promise<string> {
    await this.members.start();
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException): void => {
        reject(
          error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL'
            ? new FleetError('FLEET_PORT_IN_USE', `cannot listen on ${this.options.host}:${this.options.port}: ${error.code}`)
            : error,
        );
      };
      this.server.once('error', failed);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    const url = `http://${this.options.host}:${port}`;
    this.log.info('agent.listening', { url, members: this.members.members.length, selectors: this.options.selectors.join(',') });
    return url;
  }

  async close(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections();
    await this.members.close();
    this.lists.close();
  }

  private async offer(list: ListBody): Promise<ListReply> {
    if (!this.lists.offer(list)) {
      this.log.debug('agent.list_stale', { generation: list.generation, holding: this.lists.generation ?? 0 });
      return { outcome: 'stale', generation: this.lists.generation ?? 0, members: this.lists.holdings() };
    }
    const since = Date.now();
    const reply = await this.lists.settle(list.generation, this.options.convergeTimeoutMs);
    this.log.info('agent.list', { generation: list.generation, ips: list.ips.length, outcome: reply.outcome, members: reply.members.length, ms: Date.now() - since });
    return reply;
  }

  private status(): StatusReply {
    return { generation: this.lists.generation ?? null, members: this.lists.holdings() };
  }

  private onStart(member: Member): void {
    this.lists.track(member.id, member.ip);
    this.emit({ type: 'start', id: member.id, ip: member.ip, at: Date.now() });
  }

  private onDie(member: Member): void {
    this.lists.untrack(member.id);
    this.emit({ type: 'die', id: member.id, ip: member.ip, at: Date.now() });
  }

  private emit(event: AgentEvent): void {
    this.log.info(`agent.member_${event.type}`, { member: event.id.slice(0, 12), ip: event.ip });
    for (const listener of this.listeners) listener(event);
  }
}
