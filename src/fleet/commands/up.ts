import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { LOG_LEVELS, Logger } from '../../log.js';
import { stdioDestination } from '../../log/fd-destination.js';
import { ProgressLine } from '../../cli/progress-line.js';
import { FleetError } from '../errors.js';
import { releaseHungUp, terminalFds } from '../hangup.js';
import { loadDaemon } from '../load-daemon.js';
import { isByteSize, isLogLevel, pushError } from '../../cli/validators.js';
import {
  DEFAULT_ADMIN_HOST,
  DEFAULT_ADMIN_PORT,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_FALL,
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_MEMBER_CONNECTIONS,
  DEFAULT_QUEUE_SIZE,
  DEFAULT_QUEUE_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RESPONSE_TIMEOUT_MS,
  DEFAULT_WORKERS,
  MAX_WORKERS,
  DEFAULT_HEALTH_INTERVAL_MS,
  DEFAULT_HEALTH_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_IMAGE,
  DEFAULT_MEMBER_CPUS,
  DEFAULT_MEMBER_MEMORY,
  DEFAULT_NAME,
  DEFAULT_PORT,
  DEFAULT_REPLICAS,
  DEFAULT_REPLACE_AFTER_MS,
  DEFAULT_RESYNC_MS,
  DEFAULT_RISE,
  MAX_MEMBER_CPUS,
  MAX_MEMBER_MEMORY,
  MAX_REPLICAS,
  MIN_MEMBER_CPUS,
  MIN_MEMBER_MEMORY,
  OFFLINE_IMAGE,
} from '../config.js';
import { formatMemorySize } from './memory-size.js';
import { UpProgress } from './up-progress.js';
import { DEFAULT_AGENT_PORT, DEFAULT_SECRET_FILE, readSecret } from './agent.js';
import { decimalOption, integerOption, isCidr, memoryOption, nameOption, stackOption } from './options.js';

export class UpCommand extends Command {
  static override paths = [['up']];

  // Node refuses a header deadline past the request deadline; say so as a usage error.
  static override schema = [
    t.makeValidator<unknown, unknown>({
      test: (value, state) => {
        const { headerTimeout, requestTimeout } = value as { headerTimeout: number; requestTimeout: number };
        if (headerTimeout <= requestTimeout) return true;
        return pushError(state, `--header-timeout (${headerTimeout}) must not exceed --request-timeout (${requestTimeout})`);
      },
    }),
    // In Swarm mode the stack file sets the members: a single-host flag given beside --stack
    // would be silently ignored, so it is refused (a flag given at its default value is not seen).
    t.makeValidator<unknown, unknown>({
      test: (value, state) => {
        const v = value as Record<string, unknown>;
        if (v.stack === undefined) return true;
        const singleHost: [string, unknown, unknown][] = [
          ['--replicas', v.replicas, DEFAULT_REPLICAS],
          ['--image', v.image, DEFAULT_IMAGE],
          ['--name', v.name, DEFAULT_NAME],
          ['--replace-after', v.replaceAfter, DEFAULT_REPLACE_AFTER_MS],
          ['--member-memory', v.memberMemory, DEFAULT_MEMBER_MEMORY],
          ['--member-cpus', v.memberCpus, DEFAULT_MEMBER_CPUS],
        ];
        const given = singleHost.find(([, got, byDefault]) => got !== byDefault);
        if (!given) return true;
        return pushError(state, `${given[0]} does not apply with --stack: the stack file sets the members (deploy/swarm/stack.yaml)`);
      },
    }),
  ];

  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'run the fleet: the balancer, its nginx members and the control loop, in the foreground',
    details: `
      Starts \`--replicas\` nginx members on a bridge network of the fleet's own and balances \`--host\`:\`--port\` over them, round robin with health checks. Every member serves the IPs of all members; the daemon pushes the list into each member whenever membership changes. Members of this fleet left running by a daemon that died are adopted, not restarted.

      \`--image\` defaults to \`${DEFAULT_IMAGE}\`, built from \`images/nginx\` (FROM alpine:3.10) when missing. Without a registry, build the stand-in with \`npm run image:offline\` and pass \`--image ${OFFLINE_IMAGE}\`.

      Health checks: \`--health-interval\` and \`--health-timeout\` in milliseconds, a member leaves rotation after \`--fall\` failed checks and returns after \`--rise\` good ones. \`--drain-timeout\` bounds the wait for requests in flight when a member is removed; a member unhealthy for \`--replace-after\` is replaced. SIGINT and SIGTERM act like \`fleet down\`; SIGHUP (the terminal closed) is logged and the fleet keeps serving. Logs go to stderr; lines a dead or stalled reader cannot take are dropped and counted, never waited for. Until every member is ready, a terminal shows how many are on a line under the logs; a pipe gets \`fleet.progress\` lines instead.

      \`--access-log\` writes one line per balanced request to a file (appended) or to stdout (\`-\`), as text or, with \`--log-format json\`, JSON.

      Members run as an unprivileged user with no capabilities on a read-only root; \`--member-memory\` (no swap beyond it) and \`--member-cpus\` size each of them.

      Swarm mode: with \`--stack NAME\` the daemon launches no member. It balances over the tasks of the Swarm service \`NAME_members\` (read every \`--stack-poll\` milliseconds from the manager's engine, \`DOCKER_HOST\`), addressed on the overlay \`NAME_fleet\`, and pushes their lists through the stack's agents (\`tasks.NAME_agent\`, port \`--agent-port\`, requests signed with the secret in \`--secret-file\`), whose event streams take a dead member out at once. \`--replicas\`, \`--image\`, \`--name\`, \`--replace-after\` and the member limits are refused beside it: the stack file sets them (deploy/swarm/stack.yaml, docs/swarm.md).

      The admin listener on \`--admin-host\`:\`--admin-port\` serves Prometheus metrics (\`/metrics\`), the status as JSON (\`/api/status\`), a live feed (\`/api/events\`) and a dashboard (\`/\`); \`--no-admin\` turns it off.
    `,
    examples: [
      ['Run 3 members on port 8080', '$0 up --replicas 3'],
      ['Run the air-gapped stand-in image', `$0 up --replicas 3 --image ${OFFLINE_IMAGE}`],
      ['A second fleet beside the first', '$0 up --name blue --port 8081 --replicas 2'],
      ['Balance the members of the Swarm stack web', '$0 up --stack web --host 0.0.0.0'],
    ],
  });

  replicas = integerOption('--replicas', DEFAULT_REPLICAS, 1, MAX_REPLICAS, `How many nginx members to run, 1 to ${MAX_REPLICAS} (default ${DEFAULT_REPLICAS})`);
  port = integerOption('--port', DEFAULT_PORT, 1, 65535, `The balancer's port (default ${DEFAULT_PORT})`);
  host = Option.String('--host', DEFAULT_HOST, { description: `The address the balancer listens on (default ${DEFAULT_HOST}; 0.0.0.0 for every interface)` });
  image = Option.String('--image', DEFAULT_IMAGE, { description: `The members' image (default ${DEFAULT_IMAGE})` });
  name = nameOption();
  healthInterval = integerOption('--health-interval', DEFAULT_HEALTH_INTERVAL_MS, 100, 600_000, `Milliseconds between health checks (default ${DEFAULT_HEALTH_INTERVAL_MS})`);
  healthTimeout = integerOption('--health-timeout', DEFAULT_HEALTH_TIMEOUT_MS, 50, 60_000, `Milliseconds a health check may take (default ${DEFAULT_HEALTH_TIMEOUT_MS})`);
  rise = integerOption('--rise', DEFAULT_RISE, 1, 100, `Good checks in a row to enter rotation (default ${DEFAULT_RISE})`);
  fall = integerOption('--fall', DEFAULT_FALL, 1, 100, `Failed checks in a row to leave rotation (default ${DEFAULT_FALL})`);
  drainTimeout = integerOption('--drain-timeout', DEFAULT_DRAIN_TIMEOUT_MS, 0, 600_000, `Milliseconds to let requests in flight finish on removal (default ${DEFAULT_DRAIN_TIMEOUT_MS})`);
  replaceAfter = integerOption('--replace-after', DEFAULT_REPLACE_AFTER_MS, 0, 86_400_000, `Milliseconds a member may stay unhealthy before it is replaced; 0 never (default ${DEFAULT_REPLACE_AFTER_MS})`);
  memberMemory = memoryOption(
    '--member-memory',
    DEFAULT_MEMBER_MEMORY,
    MIN_MEMBER_MEMORY,
    MAX_MEMBER_MEMORY,
    `Memory of each member, as docker writes it (128m, 1g), ${formatMemorySize(MIN_MEMBER_MEMORY)} to ${formatMemorySize(MAX_MEMBER_MEMORY)}; no swap (default ${formatMemorySize(DEFAULT_MEMBER_MEMORY)})`,
  );
  memberCpus = decimalOption(
    '--member-cpus',
    DEFAULT_MEMBER_CPUS,
    MIN_MEMBER_CPUS,
    MAX_MEMBER_CPUS,
    'a number of CPUs',
    `CPUs each member may use, ${MIN_MEMBER_CPUS} to ${MAX_MEMBER_CPUS} (default ${DEFAULT_MEMBER_CPUS})`,
  );
  maxConnections = Option.String('--max-connections', {
    description: `Client connections at once; one more is answered 503 and closed (default ${DEFAULT_MAX_CONNECTIONS}, or what the open-files limit allows if that is fewer)`,
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 1_000_000)]),
  });
  headerTimeout = integerOption('--header-timeout', DEFAULT_HEADER_TIMEOUT_MS, 100, 600_000, `Milliseconds a client has to send a request's headers, idle time before the first request included; then 408 (default ${DEFAULT_HEADER_TIMEOUT_MS})`);
  requestTimeout = integerOption('--request-timeout', DEFAULT_REQUEST_TIMEOUT_MS, 100, 3_600_000, `Milliseconds a client has to send a whole request, body included; then 408 (default ${DEFAULT_REQUEST_TIMEOUT_MS})`);
  idleTimeout = integerOption('--idle-timeout', DEFAULT_IDLE_TIMEOUT_MS, 100, 3_600_000, `Milliseconds a kept-alive client connection may stay idle between requests (default ${DEFAULT_IDLE_TIMEOUT_MS})`);
  maxHeaderSize = Option.String('--max-header-size', DEFAULT_MAX_HEADER_SIZE, { description: `All header lines of a request at most, e.g. 16KiB; more is 431 (default ${DEFAULT_MAX_HEADER_SIZE})`, validator: isByteSize(1024, 1024 * 1024) });
  maxBodySize = Option.String('--max-body-size', DEFAULT_MAX_BODY_SIZE, { description: `A request body at most, e.g. 1MiB or 10MB; more is 413 (default ${DEFAULT_MAX_BODY_SIZE})`, validator: isByteSize(0, 1024 ** 4) });
  responseTimeout = integerOption('--response-timeout', DEFAULT_RESPONSE_TIMEOUT_MS, 100, 3_600_000, `Milliseconds a member has to start answering, and the longest pause while an answer streams; then 504 (default ${DEFAULT_RESPONSE_TIMEOUT_MS})`);
  memberConnections = integerOption('--member-connections', DEFAULT_MEMBER_CONNECTIONS, 1, 100_000, `Connections the balancer opens to one member at most (default ${DEFAULT_MEMBER_CONNECTIONS})`);
  queueSize = integerOption('--queue-size', DEFAULT_QUEUE_SIZE, 0, 1_000_000, `Requests that may wait for a connection to one member; a full member is skipped, all full is 503 (default ${DEFAULT_QUEUE_SIZE})`);
  queueTimeout = integerOption('--queue-timeout', DEFAULT_QUEUE_TIMEOUT_MS, 1, 600_000, `Milliseconds a request may wait for a connection to its member before it goes to another or gets 503, and the bound past which an overloaded worker sheds new requests with 503 and Retry-After (default ${DEFAULT_QUEUE_TIMEOUT_MS})`);
  trustedProxies = Option.Array('--trusted-proxy', [], { description: 'An address or CIDR of a proxy in front of fleet whose X-Forwarded-* headers are kept and appended to (repeatable; default none: fleet is the edge)', validator: t.isArray(isCidr) });
  workers = integerOption('--workers', DEFAULT_WORKERS, 1, MAX_WORKERS, `Balancer worker processes, 1 to ${MAX_WORKERS} (default: the number of CPUs, at least 2)`);
  logLevel = Option.String('--log-level', 'INFO', {
    description: `One of ${LOG_LEVELS.join(', ')} (default INFO)`,
    validator: isLogLevel,
  });
  adminPort = integerOption('--admin-port', DEFAULT_ADMIN_PORT, 1, 65535, `The admin listener's port: metrics, status, live feed and dashboard (default ${DEFAULT_ADMIN_PORT})`);
  adminHost = Option.String('--admin-host', DEFAULT_ADMIN_HOST, { description: `The address the admin listener listens on (default ${DEFAULT_ADMIN_HOST})` });
  admin = Option.Boolean('--admin', true, { description: 'Run the admin listener (default on; --no-admin turns it off)' });
  logFormat = Option.String('--log-format', 'text', { description: 'text or json (default text)', validator: t.isEnum(['text', 'json'] as const) });
  stack = stackOption('Swarm mode: balance the members of this Docker stack (its service NAME_members), launching none (default: none, fleet runs its own members)');
  agentPort = integerOption('--agent-port', DEFAULT_AGENT_PORT, 1, 65535, `Swarm mode: the port of the stack's agents (default ${DEFAULT_AGENT_PORT})`);
  secretFile = Option.String('--secret-file', DEFAULT_SECRET_FILE, { description: `Swarm mode: the file holding the stack's shared secret (default ${DEFAULT_SECRET_FILE}, a Docker secret)` });
  stackPoll = integerOption('--stack-poll', 1_000, 200, 60_000, "Swarm mode: milliseconds between reads of the members' tasks (default 1000)");
  accessLog = Option.String('--access-log', { description: 'Write one line per balanced request to this file (appended), or - for stdout, formatted as --log-format says (default none)' });

  async execute(): Promise<number> {
    const accessLog = this.accessLog === undefined ? undefined : checkAccessLog(this.accessLog);
    // The daemon (dockerode, http-proxy, pino) loads only for `up`: add, remove and status
    // start without it and reach the daemon sooner.
    const secret = this.stack === undefined ? undefined : readSecret(this.secretFile);
    const { Daemon, SwarmDaemon, exitOnBug, pinoJson, setUpCluster } = await loadDaemon();
    // pino encodes the JSON lines.
    const json = this.logFormat === 'json' ? pinoJson() : undefined;
    // On a terminal, the members' progress is a line under the logs, on stderr with them: stdout
    // keeps its one line for scripts, and only lines written through one destination can be
    // kept from running into each other.
    const stderr = stdioDestination(this.context.stderr);
    const line = isTerminal(this.context.stderr, this.context.env) ? new ProgressLine(stderr, () => (this.context.stderr as { columns?: number }).columns) : undefined;
    const log = new Logger({ level: this.logLevel, destination: line ?? stderr, format: this.logFormat, json });
    const stdout = stdioDestination(this.context.stdout);
    const terminal = terminalFds();
    // Process-wide settings are this entry's to make, once: how workers are forked.
    setUpCluster();
    const common = {
      port: this.port,
      host: this.host,
      healthIntervalMs: this.healthInterval,
      healthTimeoutMs: this.healthTimeout,
      rise: this.rise,
      fall: this.fall,
      drainTimeoutMs: this.drainTimeout,
      client: {
        maxConnections: this.maxConnections,
        headerTimeoutMs: this.headerTimeout,
        requestTimeoutMs: this.requestTimeout,
        idleTimeoutMs: this.idleTimeout,
        maxHeaderBytes: this.maxHeaderSize,
        maxBodyBytes: this.maxBodySize,
      },
      upstream: { responseTimeoutMs: this.responseTimeout, memberConnections: this.memberConnections, queueSize: this.queueSize, queueTimeoutMs: this.queueTimeout },
      trustedProxies: this.trustedProxies,
      workers: this.workers,
      log: { level: this.logLevel, format: this.logFormat },
      admin: this.admin ? { host: this.adminHost, port: this.adminPort } : undefined,
      accessLog,
    };
    const daemon =
      secret === undefined || this.stack === undefined
        ? new Daemon(
            {
              ...common,
              name: this.name,
              replicas: this.replicas,
              image: this.image,
              replaceAfterMs: this.replaceAfter,
              resyncMs: DEFAULT_RESYNC_MS,
              memberLimits: { memoryBytes: this.memberMemory, cpus: this.memberCpus },
            },
            log,
          )
        : new SwarmDaemon({ ...common, stack: this.stack, agentPort: this.agentPort, secret, periodMs: this.stackPoll }, log);
    const exited = new Promise<void>((resolve) => daemon.useCases.onExit(resolve));
    let signals = 0;
    const stop = (signal: string) => () => {
      // The first signal shuts down cleanly; a second one means "now".
      if (++signals > 1) {
        log.warn('fleet.abandoned', { signal, note: 'members and network left running; fleet up adopts them, fleet down removes them' });
        process.exit(130);
      }
      log.info('signal.received', { signal });
      // A cleanup that fails is logged by the daemon (fleet.cleanup_failed); it still exits.
      daemon.useCases.down(signal).catch(() => undefined);
    };
    // SIGHUP rolls the balancer's workers, as for nginx and HAProxy; it is also what a closed
    // terminal sends, and the fleet is not the terminal's to stop (fleet down or SIGTERM is):
    // it keeps serving, and its lines to the closed terminal are dropped and counted.
    const onHup = () => {
      const released = releaseHungUp(terminal);
      log.warn('signal.received', { signal: 'SIGHUP', action: 'rolling restart of the workers, still serving', terminal: released.length > 0 ? 'closed' : 'open' });
      daemon.useCases.reload().catch((error: unknown) => log.error('workers.reload_failed', { error: error instanceof Error ? error : String(error) }));
    };
    process.once('exit', () => releaseHungUp(terminal));
    // A bug ends the primary as it ends a worker: logged, an orderly stop that leaves the
    // members running, exit 70; a supervisor restarts `fleet up`, which adopts them. Logging
    // never throws, so a failing stderr cannot bring this back round.
    exitOnBug(log, () => daemon.abandon());
    const onInt = stop('SIGINT');
    const onTerm = stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    const release = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
    };
    // In Swarm mode the stack's size is Swarm's: there is no count to show progress towards.
    const progress = this.stack === undefined ? new UpProgress(this.replicas, log, line) : undefined;
    daemon.members.onChange(() => progress?.update(daemon.members.rotation.length));
    try {
      await daemon.start();
    } catch (error) {
      release();
      throw error;
    } finally {
      progress?.end();
    }
    const what = this.stack === undefined ? `fleet "${this.name}"` : `stack "${this.stack}"`;
    stdout.write(`${what} serving http://${this.host}:${this.port}/ with ${daemon.members.rotation.length} members\n`);
    await exited;
    release();
    return 0;
  }
}

// The workers open the access log themselves: a file they could not write is said now, once.
function checkAccessLog(target: string): string {
  if (target === '-') return target;
  const file = path.resolve(target);
  try {
    fs.closeSync(fs.openSync(file, 'a'));
  } catch (error) {
    throw new FleetError('FLEET_ACCESS_LOG_UNWRITABLE', `cannot write the access log ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return file;
}

function isTerminal(stream: unknown, env: Record<string, string | undefined>): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true && env.TERM !== 'dumb';
}
