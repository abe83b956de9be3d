// `fleet up --stack NAME`: the same balancer, health checks, workers, front door and admin
// listener as `fleet up`, in front of members Swarm runs. It launches no container: the
// stack's members come from StackSource (the manager's /tasks and the agents' /events), and
// their lists go out through the agents. `fleet add`/`remove` have no say here (`docker
// service scale` does), so there is no control socket; the admin listener and the signals
// are the channels.
import type { Logger } from '../../log.js';
import { dashboardPage } from '../admin/dashboard.js';
import { EventFeed } from '../admin/feed.js';
import { LogFeed } from '../admin/log-feed.js';
import { FleetMetrics } from '../admin/metrics.js';
import { AdminServer } from '../admin/server.js';
import { DOWN_ANSWER_MS, HEALTH_PATH, MEMBER_PORT, WORKER_STOP_MS } from '../config.js';
import { HealthChecker } from '../control/checker.js';
import { type ConnectionShare, shareConnections } from '../control/connection-limits.js';
import type { MemberSet } from '../control/members.js';
import type { DownResult, FleetStatus, ReloadResult } from '../control/types.js';
import { WorkerPool } from '../control/workers.js';
import type { DaemonOptions } from '../daemon.js';
import { openFilesLimit } from '../data/open-files.js';
import { SwarmTasks } from '../docker/swarm-tasks.js';
import { messageOf } from '../errors.js';
import { balancerWorkers, loggedMembers } from '../balancer-workers.js';
import { AgentLinks } from './agents.js';
import { StackSource } from './source.js';
import { StackView } from './stack-view.js';

export interface StackOptions {
  /** The stack's name: its services are NAME_members and NAME_agent, its overlay NAME_fleet. */
  stack: string;
  /** The agents' DNS name; default tasks.NAME_agent. */
  agents?: string;
  agentPort: number;
  secret: Buffer;
  /** How often the manager's tasks are read. */
  periodMs: number;
}

export type SwarmDaemonOptions = Omit<DaemonOptions, 'name' | 'replicas' | 'image' | 'memberLimits' | 'labels' | 'replaceAfterMs' | 'resyncMs'> & StackOptions;

/** The manager's answer may take this long; a slower one counts as a failed observation. */
const TASKS_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 10_000;
/** A PUT /list waits up to the agent's converge timeout (10 s by default). */
const PUSH_TIMEOUT_MS = 15_000;
/** Node names and the balancers' tasks, for the status: read at most this often, only while asked. */
const VIEW_EVERY_MS = 10_000;

export class SwarmDaemon {
  readonly members: MemberSet;
  readonly workers: WorkerPool;
  readonly metrics = new FleetMetrics();
  readonly source: StackSource;
  readonly useCases: { status(): FleetStatus; reload(): Promise<ReloadResult>; down(reason: string): Promise<DownResult>; onExit(hook: () => void): void };
  private readonly tasks: SwarmTasks;
  private readonly view: StackView;
  private readonly agents: AgentLinks;
  private readonly checker: HealthChecker;
  private readonly admin: AdminServer | undefined;
  private readonly connections: ConnectionShare;
  private stopping: Promise<DownResult> | undefined;
  private exitHook: (() => void) | undefined;

  constructor(
    readonly options: SwarmDaemonOptions,
    private readonly log: Logger,
  ) {
    const metrics = this.metrics;
    const members = loggedMembers({ rise: options.rise, fall: options.fall }, log, metrics);
    this.members = members;
    this.connections = shareConnections(options.client.maxConnections, options.workers, openFilesLimit());
    this.workers = balancerWorkers(members, options, options.stack, this.connections.perWorker, log, metrics);
    this.checker = new HealthChecker(members, { intervalMs: options.healthIntervalMs, timeoutMs: options.healthTimeoutMs, path: HEALTH_PATH });
    this.tasks = new SwarmTasks(TASKS_TIMEOUT_MS);
    this.view = new StackView(this.tasks, `${options.stack}_balancer`, VIEW_EVERY_MS);
    const service = `${options.stack}_members`;
    this.agents = new AgentLinks(
      { name: options.agents ?? `tasks.${options.stack}_agent`, port: options.agentPort, secret: options.secret, pushTimeoutMs: PUSH_TIMEOUT_MS, reconnectMaxMs: MAX_BACKOFF_MS },
      {
        // Bound late: the source is made just below, and the links call it only once started.
        event: (event, agent) => this.source.event(event, agent),
        holdings: (agent, held) => this.source.holdings(agent, held),
        lost: (agent) => this.source.lost(agent),
      },
      log,
      (agent, list, outcome, held) => {
        metrics.pushed('session', outcome !== 'partial');
        log.debug('agent.pushed', { agent, generation: list.generation, outcome, held });
        this.source.pushed(held);
      },
    );
    const source = new StackSource(
      { tasks: this.tasks, members, agents: this.agents, check: (id) => this.checker.check(id) },
      { service, network: `${options.stack}_fleet`, port: MEMBER_PORT, periodMs: options.periodMs, maxBackoffMs: MAX_BACKOFF_MS, drainTimeoutMs: options.drainTimeoutMs },
      log,
    );
    this.source = source;
    metrics.readFrom({
      members: () => members.list(),
      desired: () => source.current?.members.length ?? 0,
      workers: () => this.workers.status(),
      generation: () => source.current?.generation,
      replacement: () => ({ suspended: undefined, since: undefined, held: 0 }),
    });
    const status = (): FleetStatus => this.status();
    this.useCases = {
      status,
      reload: async () => {
        await this.workers.reload();
        return { workers: this.workers.status() };
      },
      down: (reason) => (this.stopping ??= this.down(reason)),
      onExit: (hook) => (this.exitHook = hook),
    };
    if (options.admin) {
      const logs = new LogFeed();
      log.subscribe(logs.listener);
      this.admin = new AdminServer(options.admin, {
        status,
        metrics,
        feed: new EventFeed(status, metrics.requests, logs),
        page: dashboardPage(),
        onBug: (error) => log.error('admin.bug', { error: error instanceof Error ? error : messageOf(error) }),
      });
    }
  }

  /** Brings the balancer up in front of the stack, or leaves nothing behind. */
  async start(): Promise<void> {
    const service = `${this.options.stack}_members`;
    await this.tasks.requireService(service);
    await this.admin?.listen();
    try {
      await this.workers.start();
    } catch (error) {
      await this.admin?.close();
      throw error;
    }
    this.log.info('fleet.starting', { stack: this.options.stack, service, agents: this.options.agents ?? `tasks.${this.options.stack}_agent`, workers: this.options.workers });
    this.checker.start();
    await this.source.start();
    this.log.info('fleet.ready', {
      stack: this.options.stack,
      url: `http://${this.options.host}:${this.options.port}/`,
      admin: this.admin && `http://${this.admin.options.host}:${this.admin.port}/`,
      members: this.members.size,
      workers: this.options.workers,
    });
  }

  /** After a bug: stop observing and serving; Swarm's members are not ours to touch. */
  async abandon(): Promise<void> {
    this.stopControl();
    await this.workers.stop(WORKER_STOP_MS);
    await this.admin?.close();
  }

  status(): FleetStatus {
    const current = this.source.current;
    const nodes = new Map(current?.members.map((m) => [m.id, m.nodeId]));
    void this.view.refresh();
    return {
      name: this.options.stack,
      desired: current?.members.length ?? 0,
      port: this.options.port,
      host: this.options.host,
      image: `swarm service ${this.options.stack}_members`,
      pid: process.pid,
      members: this.members
        .list()
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((m) => ({
          id: m.id,
          name: m.name,
          ip: m.ip,
          healthy: m.health.up === true,
          state: m.state,
          inflight: m.inflight,
          inSync: this.source.inSync(m.id),
          session: this.agents.connectedCount > 0 ? 'open' : 'down',
          node: this.view.nodeName(nodes.get(m.id) ?? ''),
          generation: this.source.generationHeld(m.ip),
        })),
      workers: this.workers.status(),
      ...(current && { list: { generation: current.generation, ips: current.ips } }),
      stack: { agents: this.agents.status, balancers: this.view.balancers },
    };
  }

  private stopControl(): void {
    this.source.stop();
    this.agents.close();
    this.checker.stop();
  }

  // Stops observing, lets the requests in flight finish, and leaves the stack as it is.
  private async down(reason: string): Promise<DownResult> {
    this.log.info('fleet.stopping', { stack: this.options.stack, reason });
    this.stopControl();
    for (const member of this.members.list()) this.members.fence(member.id);
    await this.workers.stop(WORKER_STOP_MS);
    this.log.info('fleet.stopped', { stack: this.options.stack, containers: 0, network: false });
    setTimeout(() => void Promise.resolve(this.admin?.close()).then(() => this.exitHook?.()), DOWN_ANSWER_MS);
    return { removedContainers: 0, removedNetwork: false };
  }
}
