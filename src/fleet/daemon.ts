// The fleet daemon: the balancer, the health checker, the control loop and the control
// socket in one process. start() either brings all of it up or leaves nothing behind.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { HealthChecker } from './control/checker.js';
import { type Member, MemberSet } from './data/members.js';
import { Balancer, type UpstreamLimits } from './data/balancer.js';
import type { ClientLimits } from './data/client-limits.js';
import { connectionBudget, openFilesLimit } from './data/open-files.js';
import { ControlServer, socketAnswers } from './control/socket/server.js';
import type { DownResult, FleetStatus, MemberStatus, ScaleResult } from './control/socket/protocol.js';
import { Engine } from './docker/engine.js';
import { memberImageProblem } from './docker/member-image.js';
import { FleetError, messageOf } from './errors.js';
import { socketPath } from './names.js';
import { Controller } from './control/reconcile/controller.js';
import { ListDistributor } from './control/lists/distributor.js';
import { DEFAULT_IMAGE, DEFAULT_MAX_CONNECTIONS, MAX_ATTEMPTS, MAX_REPLICAS, MEMBER_PORT, type MemberLimits, SETTLE_TIMEOUT_MS } from './config.js';

export interface DaemonOptions {
  name: string;
  replicas: number;
  port: number;
  host: string;
  image: string;
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
}

/** The directory holding images/nginx, wherever fleet was installed or bundled. */
function nginxContext(): string {
  const candidates = [
    process.env.FLEET_NGINX_CONTEXT,
    process.argv[1] && path.resolve(path.dirname(fs.realpathSync(process.argv[1])), '..', 'images', 'nginx'),
    path.resolve('images', 'nginx'),
  ];
  for (const dir of candidates) if (dir && fs.existsSync(path.join(dir, 'Dockerfile'))) return dir;
  throw new FleetError('FLEET_IMAGE_MISSING', `cannot find images/nginx to build ${DEFAULT_IMAGE}; set FLEET_NGINX_CONTEXT`);
}

export class Daemon {
  readonly engine = new Engine();
  readonly members: MemberSet;
  readonly balancer: Balancer;
  readonly checker: HealthChecker;
  readonly controller: Controller;
  readonly lists: ListDistributor;
  private readonly control: ControlServer;
  private readonly events = new AbortController();
  private resyncTimer: NodeJS.Timeout | undefined;
  private shuttingDown: Promise<DownResult> | undefined;
  private exitHook: (() => void) | undefined;
  /** Logs the balancer's limits, once it listens. */
  private readonly limitsInForce: () => void;

  constructor(
    readonly options: DaemonOptions,
    private readonly log: Logger,
  ) {
    this.members = new MemberSet({ rise: options.rise, fall: options.fall }, (t) => {
      const member = this.members.get(t.id);
      log.info('member.state', { member: member?.name ?? t.id.slice(0, 12), ip: member?.ip, from: t.from, to: t.to });
    });
    const files = openFilesLimit();
    const maxConnections = connectionBudget(options.client.maxConnections ?? DEFAULT_MAX_CONNECTIONS, files);
    this.balancer = new Balancer(
      this.members,
      {
        fleetName: options.name,
        client: { ...options.client, maxConnections },
        upstream: { ...options.upstream, connectTimeoutMs: Math.max(250, options.healthTimeoutMs), maxAttempts: MAX_ATTEMPTS },
        trustedProxies: options.trustedProxies,
      },
      log,
    );
    this.limitsInForce = () => {
      const fields = { ...options.client, ...options.upstream, maxConnections, openFilesSoft: files?.soft, openFilesHard: files?.hard };
      // Only a limit the operator asked for and did not get is worth a warning.
      if (options.client.maxConnections !== undefined && maxConnections < options.client.maxConnections) {
        log.warn('balancer.limits', { ...fields, maxConnectionsAsked: options.client.maxConnections, hint: 'raise ulimit -n (two descriptors per connection)' });
      } else log.info('balancer.limits', fields);
    };
    this.checker = new HealthChecker(this.members, { intervalMs: options.healthIntervalMs, timeoutMs: options.healthTimeoutMs, path: '/healthz' });
    this.lists = new ListDistributor({ open: (id) => this.engine.openListSession(id), oneShot: (id, ips) => this.engine.pushList(id, ips) }, log, {
      held: (id) => this.controller.admit(id),
    });
    this.controller = new Controller(
      this.engine,
      this.members,
      this.lists,
      { check: (id) => this.checker.check(id), forget: (id) => this.balancer.forget(id) },
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
      },
      { onBug: (call, error) => log.error('control.bug', { call, error: messageOf(error) }) },
    );
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
    await this.ensureImage();
    try {
      await this.balancer.listen(this.options.port, this.options.host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new FleetError('FLEET_PORT_IN_USE', `port ${this.options.port} is already in use on ${this.options.host}`);
      if (code === 'EACCES') throw new FleetError('FLEET_PORT_IN_USE', `no permission to listen on port ${this.options.port}`);
      throw new FleetError('FLEET_BAD_INPUT', `cannot listen on ${this.options.host}:${this.options.port}: ${messageOf(error)}`);
    }
    try {
      await this.control.listen();
    } catch (error) {
      await this.balancer.close();
      throw error;
    }
    try {
      const network = await this.engine.ensureNetwork(name);
      const adopted = (await this.engine.listMembers(name)).filter((c) => c.running);
      this.limitsInForce();
      this.log.info('fleet.starting', { fleet: name, network: network.name, created: network.created, adopting: adopted.length, desired: this.options.replicas });
      for (const c of adopted) this.log.info('member.adopted', { member: c.name, ip: c.ip, id: c.id.slice(0, 12) });
      this.checker.start();
      void this.engine.follow(
        name,
        (event) => this.onEvent(event.action, event.id),
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
    } catch (error) {
      this.log.error('fleet.start_failed', { error: error instanceof Error ? error : messageOf(error) });
      await this.down('start failed');
      throw error;
    }
    this.log.info('fleet.ready', { fleet: name, url: `http://${this.options.host}:${this.options.port}/`, members: this.members.rotation.length });
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
    };
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
    const status = this.status();
    const after = new Set(status.members.map((m) => m.id));
    return {
      added: status.members.filter((m) => !before.has(m.id)),
      removed: [...before.values()].filter((m) => !after.has(m.id)),
      status,
    };
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
    const closing = this.balancer.close();
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    this.balancer.destroy();
    let removedContainers = 0;
    let removedNetwork = false;
    try {
      const containers = await this.engine.listMembers(this.options.name);
      // Healthy members stop gracefully; one that fails its checks would only burn the grace period.
      const grace = (id: string): number => (this.members.get(id)?.health.up === false ? 0 : 10);
      const results = await Promise.allSettled(containers.map((c) => this.engine.stopAndRemove(c.id, grace(c.id))));
      removedContainers = results.filter((r) => r.status === 'fulfilled').length;
      removedNetwork = await this.engine.removeNetwork(this.options.name);
    } catch (error) {
      this.log.error('fleet.cleanup_failed', { error: error instanceof Error ? error : messageOf(error) });
    }
    this.log.info('fleet.stopped', { fleet: this.options.name, containers: removedContainers, network: removedNetwork });
    // Answer the caller of `fleet down` before the socket goes.
    setTimeout(() => {
      void this.control.close().then(() => this.exitHook?.());
    }, 50);
    return { removedContainers, removedNetwork };
  }

  private onEvent(action: string, id: string): void {
    this.log.debug('engine.event', { action, id: id.slice(0, 12) });
    if (action === 'die' || action === 'destroy' || action === 'oom') {
      // Out of rotation now, before the pass: no request should wait on a dead address.
      if (this.members.get(id)?.state !== 'draining') this.members.reportUnreachable(id);
      this.balancer.forget(id);
      this.controller.noteDied(id);
    } else if (action === 'start' || action === 'restart' || action === 'unpause') {
      this.controller.noteStarted(id);
    } else {
      this.controller.request();
    }
  }

  private async ensureImage(): Promise<void> {
    const { image } = this.options;
    const config = await this.engine.imageConfig(image);
    const problem = config && memberImageProblem(config);
    if (config && !problem) return;
    if (image !== DEFAULT_IMAGE) {
      if (problem) throw new FleetError('FLEET_IMAGE_INCOMPATIBLE', `image ${image} ${problem}; rebuild it from images/nginx (the stand-in: npm run image:offline)`);
      throw new FleetError('FLEET_IMAGE_MISSING', `image ${image} not found on the engine at ${this.engine.address}; build or load it first`);
    }
    const context = nginxContext();
    this.log.info('image.build', { image, context, ...(problem ? { replacing: problem } : {}) });
    await this.engine.buildImage(image, context, ['Dockerfile', 'nginx.conf', 'fleet-set-members'], (line) => this.log.info('image.build', { step: line }));
  }

  private memberStatus(m: Member): MemberStatus {
    return { id: m.id, name: m.name, ip: m.ip, healthy: m.health.up === true, state: m.state, inflight: m.inflight, inSync: this.controller.inSync(m.id), session: this.lists.sessionOpen(m.id) ? 'open' : 'down' };
  }
}
