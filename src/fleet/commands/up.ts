import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { LOG_LEVELS, Logger } from '../../log.js';
import { isLogLevel } from '../../cli/validators.js';
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_FALL,
  DEFAULT_HEALTH_INTERVAL_MS,
  DEFAULT_HEALTH_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_IMAGE,
  DEFAULT_MEMBER_CPUS,
  DEFAULT_MEMBER_MEMORY,
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
import { decimalOption, integerOption, memoryOption, nameOption } from './options.js';

export class UpCommand extends Command {
  static override paths = [['up']];

  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'run the fleet: the balancer, its nginx members and the control loop, in the foreground',
    details: `
      Starts \`--replicas\` nginx members on a bridge network of the fleet's own and balances \`--host\`:\`--port\` over them, round robin with health checks. Every member serves the IPs of all members; the daemon pushes the list into each member whenever membership changes. Members of this fleet left running by a daemon that died are adopted, not restarted.

      \`--image\` defaults to \`${DEFAULT_IMAGE}\`, built from \`images/nginx\` (FROM alpine:3.10) when missing. Without a registry, build the stand-in with \`npm run image:offline\` and pass \`--image ${OFFLINE_IMAGE}\`.

      Health checks: \`--health-interval\` and \`--health-timeout\` in milliseconds, a member leaves rotation after \`--fall\` failed checks and returns after \`--rise\` good ones. \`--drain-timeout\` bounds the wait for requests in flight when a member is removed; a member unhealthy for \`--replace-after\` is replaced. SIGINT and SIGTERM act like \`fleet down\`. Logs go to stderr.

      Members run as an unprivileged user with no capabilities on a read-only root; \`--member-memory\` (no swap beyond it) and \`--member-cpus\` size each of them.
    `,
    examples: [
      ['Run 3 members on port 8080', '$0 up --replicas 3'],
      ['Run the air-gapped stand-in image', `$0 up --replicas 3 --image ${OFFLINE_IMAGE}`],
      ['A second fleet beside the first', '$0 up --name blue --port 8081 --replicas 2'],
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
  logLevel = Option.String('--log-level', 'INFO', {
    description: `One of ${LOG_LEVELS.join(', ')} (default INFO)`,
    validator: isLogLevel,
  });
  logFormat = Option.String('--log-format', 'text', { description: 'text or json (default text)', validator: t.isEnum(['text', 'json'] as const) });

  async execute(): Promise<number> {
    const log = new Logger({ level: this.logLevel, stream: this.context.stderr, format: this.logFormat });
    // The daemon (dockerode, http-proxy) loads only for `up`: add, remove and status start
    // without it and reach the daemon sooner.
    const { Daemon } = await import('../daemon.js');
    const daemon = new Daemon(
      {
        name: this.name,
        replicas: this.replicas,
        port: this.port,
        host: this.host,
        image: this.image,
        healthIntervalMs: this.healthInterval,
        healthTimeoutMs: this.healthTimeout,
        rise: this.rise,
        fall: this.fall,
        drainTimeoutMs: this.drainTimeout,
        replaceAfterMs: this.replaceAfter,
        resyncMs: DEFAULT_RESYNC_MS,
        memberLimits: { memoryBytes: this.memberMemory, cpus: this.memberCpus },
      },
      log,
    );
    const exited = new Promise<void>((resolve) => daemon.onExit(resolve));
    let signals = 0;
    const stop = (signal: string) => () => {
      // The first signal shuts down cleanly; a second one means "now".
      if (++signals > 1) {
        log.warn('fleet.abandoned', { signal, note: 'members and network left running; fleet up adopts them, fleet down removes them' });
        process.exit(130);
      }
      log.info('signal', { signal });
      void daemon.down(signal);
    };
    // A bug must not take the balancer down with it: log it and keep serving.
    process.on('uncaughtException', (error) => log.error('bug.uncaught', { error: error.stack ?? error.message }));
    process.on('unhandledRejection', (reason) => log.error('bug.unhandled_rejection', { error: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) }));
    const onInt = stop('SIGINT');
    const onTerm = stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    try {
      await daemon.start();
    } catch (error) {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      throw error;
    }
    this.context.stdout.write(`fleet "${this.name}" serving http://${this.host}:${this.port}/ with ${daemon.members.rotation.length} members\n`);
    await exited;
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    return 0;
  }
}
