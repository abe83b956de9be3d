// The fleet daemon's primary process: the control plane (Docker, the control loop, health
// checks, the list sessions, the control socket) and the keeper of the balancer's worker
// processes, the data plane. This file only wires them together; start() either brings
// all of it up or leaves nothing behind.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { dashboardPage } from './admin/dashboard.js';
import { EventFeed } from './admin/feed.js';
import { LogFeed } from './admin/log-feed.js';
import { FleetMetrics } from './admin/metrics.js';
import { AdminServer } from './admin/server.js';
import { DEFAULT_MAX_CONNECTIONS, MAX_ATTEMPTS, MAX_REPLICAS, MEMBER_PORT, type MemberLimits, SETTLE_TIMEOUT_MS, MIN_CONNECT_TIMEOUT_MS, WORKER_HANG_MS, WORKER_STOP_MS } from './config.js';
import { HealthChecker } from './control/checker.js';
import { routeEvent } from './control/events.js';
import { ListDistributor } from './control/lists/distributor.js';
import { type Member, MemberSet } from './control/members.js';
import { Controller } from './control/reconcile/controller.js';
import type { DownResult, FleetStatus, MemberStatus, ReloadResult, ScaleResult } from './control/socket/protocol.js';
import { ControlServer, socketAnswers } from './control/socket/server.js';
import { WorkerPool } from './control/workers.js';
import type { UpstreamLimits } from './data/balancer.js';
import type { ClientLimits } from './data/client-limits.js';
import { connectionBudget, openFilesLimit } from './data/open-files.js';
import { Engine } from './docker/engine.js';
import { ensureMemberImage } from './docker/member-image.js';
import { removeFleet } from './docker/teardown.js';
import { FleetError, messageOf } from './errors.js';
import { socketPath } from './names.js';

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

/** The worker bundle: beside this one (dist/), unless FLEET_WORKER_SCRIPT names another. */
function workerScript(): string {
  if (process.env.FLEET_WORKER_SCRIPT) return process.env.FLEET_WORKER_SCRIPT;
  const here = process.argv[1] ? path.dirname(fs.realpathSync(process.argv[1])) : process.cwd();
  return path.join(here, 'fleet-worker.cjs');
}

export class Daemon {
  readonly engine = new Engine();
  readonly members: MemberSet;
  readonly checker: HealthChecker;
  readonly controller: Controller;
  readonly lists: ListDistributor;
  readonly workers: WorkerPool;
  readonly metrics: FleetMetrics;
  private readonly admin: AdminServer | undefined;
  private readonly control: ControlServer;
  private readonly events = new AbortController();
  private resyncTimer: NodeJS.Timeout | undefined;
  private shuttingDown: Promise<DownResult> | undefined;
  private exitHook: (() => void) | undefined;
  private readonly limitsInForce: () => void;

  constructor(
    readonly options: DaemonOptions,
    private readonly log: Logger,
  ) {
    this.metrics = new FleetMetrics({
      members: () => this.members.list(),
      desired: () => this.controller.desired,
      workers: () => this.workers.status(),
      generation: () => this.lists.current?.generation ?? 0,
      replacement: () => this.controller.replacement(),
    });
    this.members = new MemberSet({ rise: options.rise, fall: options.fall }, (t) => {
      const member = this.members.get(t.id);
      log.info('member.state', { member: member?.name ?? t.id.slice(0, 12), ip: member?.ip, from: t.from, to: t.to, cause: t.cause });
      // Out of rotation for its health (a death is counted as a replacement instead).
      if (t.from === 'up' && t.to === 'down' && (t.cause === 'active' || t.cause === 'passive')) this.metrics.ejected(t.cause);
    });

    // The connection limit is the fleet's; each worker takes its share, within its own
    // descriptors (a process each, two descriptors per connection).
    const files = openFilesLimit();
    const asked = options.client.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    const maxConnections = connectionBudget(Math.ceil(asked / options.workers), files);
    const total = maxConnections * options.workers;
    this.limitsInForce = () => {
      const fields = { ...options.client, ...options.upstream, maxConnections: total, perWorker: maxConnections, workers: options.workers, openFilesSoft: files?.soft, openFilesHard: files?.hard };
      // Only a limit the operator asked for and did not get is worth a warning.
      if (options.client.maxConnections !== undefined && total < options.client.maxConnections) {
        log.warn('balancer.limits', { ...fields, maxConnectionsAsked: options.client.maxConnections, hint: 'raise ulimit -n (two descriptors per connection)' });
      } else log.info('balancer.limits', fields);
    };
    this.workers = new WorkerPool(
      this.members,
      {
        count: options.workers,
        script: workerScript(),
        hangMs: WORKER_HANG_MS,
        config: {
          balancer: {
            fleetName: options.name,
            client: { ...options.client, maxConnections },
            upstream: { ...options.upstream, connectTimeoutMs: Math.max(MIN_CONNECT_TIMEOUT_MS, options.healthTimeoutMs), maxAttempts: MAX_ATTEMPTS },
            trustedProxies: options.trustedProxies,
          },
          port: options.port,
          host: options.host,
          log: options.log,
          drainTimeoutMs: options.drainTimeoutMs,
          accessLog: options.accessLog,
        },
      },
      log,
      { requests: (figures) => this.metrics.workerRequests(figures), restarted: (reason) => this.metrics.workerRestarted(reason) },
    );

    this.checker = new HealthChecker(this.members, { intervalMs: options.healthIntervalMs, timeoutMs: options.healthTimeoutMs, path: '/healthz' });
    this.lists = new ListDistributor({ open: (id) => this.engine.openListSession(id), oneShot: (id, ips) => this.engine.pushList(id, ips) }, log, {
      pushed: (via, ok) => this.metrics.pushed(via, ok),
      converged: (convergence) => this.metrics.converged(convergence.ms),
    });
    this.controller = new Controller(
      this.engine,
      this.members,
      this.lists,
      {
        check: (id) => this.checker.check(id),
        forget: () => {},
        replacing: (_id, reason) => this.metrics.replaced(reason),
        suppressed: (count) => this.metrics.suppressed(count),
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
        stopGraceSeconds: 10,
        coalesceMs: 20,
      },
      log,
    );
    this.control = new ControlServer(
      socketPath(options.name),
      {
        status: () => Promise.resolve(this.status()),
        scale: (body) => this.scale(body.delta),
        down: () => this.down('fleet down'),
        reload: () => this.reload(),
      },
      { onBug: (call, error) => log.error('control.bug', { call, error: error instanceof Error ? error : messageOf(error) }) },
    );
    if (options.admin) {
      const logs = new LogFeed();
      log.subscribe(logs.listener);
      this.admin = new AdminServer(options.admin, {
        status: () => this.status(),
        metrics: this.metrics,
        feed: new EventFeed(() => this.status(), this.metrics.requests, logs),
        page: dashboardPage(),
        onBug: (error) => log.error('admin.bug', { error: error instanceof Error ? error : messageOf(error) }),
      });
    }
  }

  /** Called once the daemon has shut down, whatever asked it to. */
  onExit(hook: () => void): void {
    this.exitHook = hook;
  }

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
      this.limitsInForce();
      this.log.info('fleet.starting', { fleet: name, network: network.name, created: network.created, adopting: adopted.length, desired: this.options.replicas, workers: this.options.workers });
      for (const c of adopted) this.log.info('member.adopted', { member: c.name, ip: c.ip, id: c.id.slice(0, 12) });
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
      await this.down('start failed').catch(() => undefined);
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
   * After a change settled, its members still have to pass a health check: waited for while
   * members keep joining the rotation, for as long as judging one takes (`fall + rise` checks).
   * A member that is still not serving then is left to the checks and logged.
   */
  private async untilServing(): Promise<void> {
    const { healthIntervalMs, healthTimeoutMs, fall, rise } = this.options;
    const stallMs = (healthIntervalMs + healthTimeoutMs) * (fall + rise);
    const desired = this.controller.desired;
    if (!(await this.members.rotationReaches(desired, stallMs))) {
      this.log.warn('fleet.not_all_serving', { serving: this.members.rotation.length, desired, waitedMs: stallMs });
    }
  }

  status(): FleetStatus {
    return {
      name: this.options.name,
      desired: this.controller.desired,
      port: this.options.port,
      host: this.options.host,
      image: this.options.image,
      pid: process.pid,
      members: this.members
        .list()
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((m) => this.memberStatus(m)),
      workers: this.workers.status(),
      replacement: this.replacementStatus(),
    };
  }

  private replacementStatus(): FleetStatus['replacement'] {
    const r = this.controller.replacement();
    return { suspended: r.suspended ?? null, since: r.since ?? null, held: r.held };
  }

  async scale(delta: number): Promise<ScaleResult> {
    if (this.shuttingDown) throw new FleetError('FLEET_NOT_RUNNING', `fleet "${this.options.name}" is shutting down`);
    if (!Number.isInteger(delta) || delta === 0) throw new FleetError('FLEET_BAD_INPUT', `scale needs a non-zero whole number (got ${String(delta)})`);
    const target = this.controller.desired + delta;
    if (target < 1) {
      throw new FleetError('FLEET_SCALE_REJECTED', `cannot remove ${-delta}: fleet "${this.options.name}" has ${this.controller.desired} members and keeps at least 1`);
    }
    if (target > MAX_REPLICAS) {
      throw new FleetError('FLEET_SCALE_REJECTED', `cannot add ${delta}: fleet "${this.options.name}" has ${this.controller.desired} members and allows at most ${MAX_REPLICAS}`);
    }
    const before = new Map(this.members.list().map((m) => [m.id, this.memberStatus(m)]));
    this.log.info('fleet.scale', { from: target - delta, to: target });
    this.controller.scaleTo(target);
    await this.controller.settle(SETTLE_TIMEOUT_MS);
    await this.untilServing();
    const status = this.status();
    const after = new Set(status.members.map((m) => m.id));
    return {
      added: status.members.filter((m) => !before.has(m.id)),
      removed: [...before.values()].filter((m) => !after.has(m.id)),
      status,
    };
  }

  /** Replaces the balancer's workers one at a time (new code, a leak), failing no request. */
  async reload(): Promise<ReloadResult> {
    if (this.shuttingDown) throw new FleetError('FLEET_NOT_RUNNING', `fleet "${this.options.name}" is shutting down`);
    await this.workers.reload();
    return { workers: this.workers.status() };
  }

  /** Stops everything and removes the fleet's containers and network; safe to call twice. */
  down(reason: string): Promise<DownResult> {
    this.shuttingDown ??= this.teardown(reason);
    return this.shuttingDown;
  }

  private async teardown(reason: string): Promise<DownResult> {
    this.log.info('fleet.stopping', { fleet: this.options.name, reason });
    this.controller.stop();
    this.lists.close();
    this.events.abort();
    this.checker.stop();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    for (const member of this.members.list()) this.members.fence(member.id);
    // The workers finish what is in flight (bounded), then the members go.
    await this.workers.stop(WORKER_STOP_MS);
    let result: DownResult = { removedContainers: 0, removedNetwork: false };
    let failed: Error | undefined;
    try {
      // Healthy members stop gracefully; one that fails its checks would only burn the grace period.
      result = await removeFleet(this.engine, this.options.name, (id) => (this.members.get(id)?.health.up === false ? 0 : 10));
    } catch (error) {
      failed = error instanceof Error ? error : new Error(messageOf(error));
      this.log.error('fleet.cleanup_failed', { error: failed });
    }
    this.log.info('fleet.stopped', { fleet: this.options.name, containers: result.removedContainers, network: result.removedNetwork });
    // Answer the caller of `fleet down` before the socket goes.
    setTimeout(() => {
      void Promise.all([this.control.close(), this.admin?.close()]).then(() => this.exitHook?.());
    }, 50);
    // The caller hears what was left behind: a down that removed nothing is no success.
    if (failed) throw failed;
    return result;
  }

  private memberStatus(m: Member): MemberStatus {
    return {
      id: m.id,
      name: m.name,
      ip: m.ip,
      healthy: m.health.up === true,
      state: m.state,
      inflight: m.inflight,
      inSync: this.controller.inSync(m.id),
      session: this.lists.sessionOpen(m.id) ? 'open' : 'down',
    };
  }
}
