// The fleet daemon's primary process: the control plane (Docker, the control loop, health
// checks, the list sessions, the control socket) and the keeper of the balancer's worker
// processes, the data plane. This file only wires them together and brings them up in
// order; what the fleet can be asked (status, scale, reload, down) lives in use-cases/.
// start() either brings all of it up or leaves nothing behind.
import type { Logger } from '../log.js';
import { dashboardPage } from './admin/dashboard.js';
import { EventFeed } from './admin/feed.js';
import { LogFeed } from './admin/log-feed.js';
import { FleetMetrics } from './admin/metrics.js';
import { AdminServer } from './admin/server.js';
import {
  HEALTH_PATH,
  MEMBER_PORT,
  MEMBER_STOP_GRACE_SECONDS,
  type MemberLimits,
  RECONCILE_COALESCE_MS,
  SETTLE_TIMEOUT_MS,
  WORKER_STOP_MS,
} from './config.js';
import { HealthChecker } from './control/checker.js';
import { type ConnectionShare, shareConnections } from './control/connection-limits.js';
import { routeEvent } from './control/events.js';
import { ListDistributor } from './control/lists/distributor.js';
import type { MemberSet } from './control/members.js';
import { Controller } from './control/reconcile/controller.js';
import { ControlServer, socketAnswers } from './control/socket/server.js';
import { WorkerPool } from './control/workers.js';
import type { UpstreamLimits } from './data/balancer.js';
import type { ClientLimits } from './data/client-limits.js';
import { type FileLimit, openFilesLimit } from './data/open-files.js';
import { Engine } from './docker/engine.js';
import { ensureMemberImage } from './docker/member-image.js';
import { removeFleet } from './docker/teardown.js';
import { balancerWorkers, loggedMembers } from './balancer-workers.js';
import { FleetError, messageOf } from './errors.js';
import { shortId, socketPath } from './names.js';
import { stopGrace } from './use-cases/down.js';
import { untilServing } from './use-cases/serving.js';
import { UseCases } from './use-cases/use-cases.js';

export interface DaemonOptions {
  name: string;
  replicas: number;
  port: number;
  host: string;
  image: string;
  /** Balancer worker processes. */
  workers: number;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  rise: number;
  fall: number;
  drainTimeoutMs: number;
  /** Replace a member whose health stays down this long; 0 never does. */
  replaceAfterMs: number;
  /** Resync with Docker this often even when no event came. */
  resyncMs: number;
  /** Extra labels on every member, e.g. a test run's own. */
  labels?: Record<string, string>;
  /** What one client may hold of the balancer; maxConnections unset is as many as the open-files limit allows, up to the default. */
  client: Omit<ClientLimits, 'maxConnections'> & { maxConnections: number | undefined };
  /** What the balancer asks of one member. */
  upstream: Omit<UpstreamLimits, 'connectTimeoutMs' | 'maxAttempts'>;
  /** Proxies in front of the balancer whose X-Forwarded-* are kept. */
  trustedProxies: readonly string[];
  /** Memory and CPU of each member. */
  memberLimits: MemberLimits;
  log: { level: string; format: 'text' | 'json' };
  /** The admin listener (metrics, status, live feed, dashboard); undefined: none. */
  admin?: { host: string; port: number };
  /** The balancer's access log: a file, `-` for stdout; undefined writes none. */
  accessLog?: string;
}

export class Daemon {
  readonly engine = new Engine();
  readonly members: MemberSet;
  readonly workers: WorkerPool;
  readonly metrics = new FleetMetrics();
  /** What the fleet can be asked: status, scale, reload, down. */
  readonly useCases: UseCases;
  private readonly checker: HealthChecker;
  private readonly lists: ListDistributor;
  private readonly controller: Controller;
  private readonly admin: AdminServer | undefined;
  private readonly control: ControlServer;
  private readonly events = new AbortController();
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly connections: ConnectionShare;
  private readonly files: FileLimit | undefined;

  constructor(
    readonly options: DaemonOptions,
    private readonly log: Logger,
  ) {
    const metrics = this.metrics;
    const members = loggedMembers({ rise: options.rise, fall: options.fall }, log, metrics);
    this.members = members;

    this.files = openFilesLimit();
    this.connections = shareConnections(options.client.maxConnections, options.workers, this.files);
    const workers = balancerWorkers(members, options, options.name, this.connections.perWorker, log, metrics);
    this.workers = workers;

    const checker = new HealthChecker(members, { intervalMs: options.healthIntervalMs, timeoutMs: options.healthTimeoutMs, path: HEALTH_PATH });
    this.checker = checker;
    // A list held admits its member: the controller hears that from the lists directly.
    const lists = new ListDistributor({ open: (id) => this.engine.openListSession(id), oneShot: (id, ips) => this.engine.pushList(id, ips) }, log, {
      pushed: (via, ok) => metrics.pushed(via, ok),
      converged: (convergence) => metrics.converged(convergence.ms),
    });
    this.lists = lists;
    const controller = new Controller(
      this.engine,
      members,
      lists,
      {
        check: (id) => checker.check(id),
        replacing: (_id, reason) => metrics.replaced(reason),
        suppressed: (count) => metrics.suppressed(count),
      },
      {
        fleet: options.name,
        image: options.image,
        labels: options.labels,
        limits: options.memberLimits,
        port: MEMBER_PORT,
        desired: options.replicas,
        drainTimeoutMs: options.drainTimeoutMs,
        replaceAfterMs: options.replaceAfterMs,
        stopGraceSeconds: MEMBER_STOP_GRACE_SECONDS,
        coalesceMs: RECONCILE_COALESCE_MS,
      },
      log,
    );
    this.controller = controller;
    metrics.readFrom({
      members: () => members.list(),
      desired: () => controller.desired,
      workers: () => workers.status(),
      generation: () => lists.current?.generation,
      replacement: () => controller.replacement(),
    });

    const useCases = new UseCases({
      status: { fleet: options, pid: process.pid, members, controller, lists, workers },
      scale: { fleet: options.name, controller, untilServing: () => this.untilServing(), log },
      rollout: { fleet: options.name, controller, members, checkImage: (image) => ensureMemberImage(this.engine, image, log), untilServing: () => this.untilServing(), log },
      down: {
        fleet: options.name,
        stopControl: () => this.stopControl(),
        members,
        workers,
        removeFleet: () => removeFleet(this.engine, options.name, (id) => stopGrace(members.get(id))),
        log,
      },
      workers,
      // The channels call the use cases and a down closes them: bound to the fields set just below, used only after a down.
      closeChannels: async () => {
        await Promise.all([this.control.close(), this.admin?.close()]);
      },
    });
    this.useCases = useCases;
    this.control = new ControlServer(
      socketPath(options.name),
      {
        status: () => Promise.resolve(useCases.status()),
        scale: (body) => useCases.scale(body.delta),
        down: () => useCases.down('fleet down'),
        reload: () => useCases.reload(),
        rollout: (body) => useCases.rollout(body),
      },
      { onBug: (call, error) => log.error('control.bug', { call, error: error instanceof Error ? error : messageOf(error) }) },
    );
    if (options.admin) {
      const logs = new LogFeed();
      log.subscribe(logs.listener);
      this.admin = new AdminServer(options.admin, {
        status: () => useCases.status(),
        metrics,
        feed: new EventFeed(() => useCases.status(), metrics.requests, logs),
        page: dashboardPage(),
        onBug: (error) => log.error('admin.bug', { error: error instanceof Error ? error : messageOf(error) }),
      });
    }
  }

  /** Brings the whole fleet up, or leaves nothing behind. */
  async start(): Promise<void> {
    const { name } = this.options;
    if (await socketAnswers(socketPath(name))) {
      throw new FleetError('FLEET_ALREADY_RUNNING', `fleet "${name}" is already running (its daemon answers on ${socketPath(name)})`);
    }
    await this.engine.ping();
    await ensureMemberImage(this.engine, this.options.image, this.log);
    await this.control.listen();
    try {
      // Both ports are taken before any member starts: one in use fails here, and leaves nothing.
      await this.admin?.listen();
      await this.workers.start();
    } catch (error) {
      await this.admin?.close();
      await this.control.close();
      throw error;
    }
    try {
      const network = await this.engine.ensureNetwork(name);
      const adopted = (await this.engine.listMembers(name)).filter((c) => c.running);
      this.logLimits();
      this.log.info('fleet.starting', { fleet: name, network: network.name, created: network.created, adopting: adopted.length, desired: this.options.replicas, workers: this.options.workers });
      for (const c of adopted) this.log.info('member.adopted', { member: c.name, ip: c.ip, id: shortId(c.id) });
      this.checker.start();
      void this.engine.follow(
        name,
        (event) => routeEvent(event, this.members, this.controller, this.log),
        () => {
          this.log.debug('events.connected', { fleet: name });
          this.controller.request();
        },
        (error) => this.log.warn('events.dropped', { error }),
        this.events.signal,
      );
      this.resyncTimer = setInterval(() => this.controller.request(), this.options.resyncMs);
      this.resyncTimer.unref();
      await this.controller.settle(SETTLE_TIMEOUT_MS);
      await this.untilServing();
    } catch (error) {
      this.log.error('fleet.start_failed', { error: error instanceof Error ? error : messageOf(error) });
      // What the cleanup could not remove is logged (fleet.cleanup_failed); the start's own error is the one to tell.
      await this.useCases.down('start failed').catch(() => undefined);
      throw error;
    }
    this.log.info('fleet.ready', {
      fleet: name,
      url: `http://${this.options.host}:${this.options.port}/`,
      admin: this.admin && `http://${this.admin.options.host}:${this.admin.port}/`,
      members: this.members.rotation.length,
      workers: this.options.workers,
    });
  }

  /**
   * After a bug: the control loop and the workers stop and the channels close, the members
   * are left running for the next daemon to adopt. Bounded by the workers' stop.
   */
  async abandon(): Promise<void> {
    this.stopControl();
    await this.workers.stop(WORKER_STOP_MS);
    await Promise.all([this.control.close(), this.admin?.close()]);
  }

  private untilServing(): Promise<void> {
    const o = this.options;
    return untilServing({ health: { intervalMs: o.healthIntervalMs, timeoutMs: o.healthTimeoutMs, rise: o.rise, fall: o.fall }, controller: this.controller, members: this.members, log: this.log });
  }

  /** Stops whatever would act on the fleet: the control loop, the lists, the checks, the event stream, the resync. */
  private stopControl(): void {
    this.controller.stop();
    this.lists.close();
    this.events.abort();
    this.checker.stop();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
  }

  // The limits in force; only a limit the operator asked for and did not get is worth a warning.
  private logLimits(): void {
    const { client, upstream, workers } = this.options;
    const fields = { ...client, ...upstream, maxConnections: this.connections.total, perWorker: this.connections.perWorker, workers, openFilesSoft: this.files?.soft, openFilesHard: this.files?.hard };
    if (this.connections.short) this.log.warn('balancer.limits', { ...fields, maxConnectionsAsked: client.maxConnections, hint: 'raise ulimit -n (two descriptors per connection)' });
    else this.log.info('balancer.limits', fields);
  }
}
