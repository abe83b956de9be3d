// Defaults and limits of the fleet, in one place for the CLI, the daemon and the docs.
import os from 'node:os';

export const DEFAULT_NAME = 'fleet';
export const DEFAULT_IMAGE = 'fleet-nginx:latest';
export const OFFLINE_IMAGE = 'fleet-nginx:offline';
export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
/** The admin listener (metrics, status, live feed, dashboard), apart from the balancer's port. */
export const DEFAULT_ADMIN_PORT = 9180;
export const DEFAULT_ADMIN_HOST = '127.0.0.1';
export const DEFAULT_REPLICAS = 3;
/** A change is one line per member on its session (docs/capacity.md has what each member costs). */
export const MAX_REPLICAS = 250;
/** How long each question of `fleet status|add|remove --stack` to a Swarm manager may take. */
export const MANAGER_TIMEOUT_MS = 10_000;
export const DEFAULT_HEALTH_INTERVAL_MS = 2_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 1_000;
export const DEFAULT_RISE = 2;
export const DEFAULT_FALL = 3;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
export const DEFAULT_RESYNC_MS = 5_000;
export const DEFAULT_REPLACE_AFTER_MS = 30_000;

// A slow or failing engine (issue 15; docs/capacity.md "A slow engine" has the figures).
/**
 * A member's failed health checks count toward its replacement only once it has passed one, or
 * this long after it joined (Docker's HEALTHCHECK --start-period).
 */
export const START_PERIOD_MS = 60_000;
/**
 * A container created and not started yet is on its way this long; older, it is a leftover. An
 * engine held to 10% of a core takes tens of seconds per start.
 */
export const CREATED_GRACE_SECONDS = 300;
/** A replacement's backoff: 1 s after its slot's first failure, doubling, at most 60 s (CrashLoopBackOff's shape, shorter). */
export const REPLACE_BACKOFF_BASE_MS = 1_000;
export const REPLACE_BACKOFF_MAX_MS = 60_000;
/** Replacements across the fleet: 5 at once, then one every 3 s (20 a minute at most). */
export const REPLACE_BURST = 5;
export const REPLACE_REFILL_MS = 3_000;
/** Failures and engine errors are counted over the last minute. */
export const SYSTEMIC_WINDOW_MS = 60_000;
/** This many members failing within the window (at least 5, or a quarter of the fleet) is systemic: replacing stops. */
export const SYSTEMIC_MIN_FAILURES = 5;
export const SYSTEMIC_SHARE = 0.25;
/** Engine calls failing within the window that make the engine unhealthy. */
export const SYSTEMIC_ENGINE_ERRORS = 3;
/**
 * An engine that erred has recovered once it answered well for this long since its last error:
 * replacing resumes then (within the rate), not only when its errors are a window old.
 */
export const ENGINE_CALM_MS = 5_000;
/** A list of the fleet's containers slower than this means an overloaded engine (it takes ~10 ms when calm). */
export const ENGINE_SLOW_MS = 5_000;
/**
 * Engine calls in flight at once, per kind: fleet's load on dockerd cannot grow with its
 * troubles. Starts: on a calm engine 100 start as fast 4 at a time as 16 or 100 at once
 * (bench/engine-starts.mjs); on an engine short of CPU the starts in flight share it, so with
 * 16 at once the first finished only after every one of them had most of its work done (no
 * member came up for 120 s, and `up` gave up), where 4 at once finish one after another.
 */
export const ENGINE_CONCURRENCY = { starts: 4, removals: 16, execs: 8, inspects: 4 } as const;
/** How long the engine may take to open a member's list session (the reader's ready line is timed apart). */
export const SESSION_OPEN_TIMEOUT_MS = 60_000;
/** Health probes in flight at once (HTTP to members, not the engine, but under the same load). */
export const HEALTH_CONCURRENCY = 32;

// What a client may hold of the balancer (docs/security.md says why each default).
/** Client connections at once; also bounded by the open-files limit (two descriptors each). */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_HEADER_SIZE = '16KiB';
export const DEFAULT_MAX_BODY_SIZE = '1MiB';
// What the balancer asks of one member.
export const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;
export const DEFAULT_MEMBER_CONNECTIONS = 512;
export const DEFAULT_QUEUE_SIZE = 1024;
/**
 * The longest a request waits in the balancer's queues, for a connection to its member or for
 * an overloaded worker's event loop; past it, 503 with Retry-After. One second: half the 2 s
 * past which a request counts as slow in docs/capacity.md, so that what is taken is answered
 * in time and the rest is told at once, instead of every client waiting seconds.
 */
export const DEFAULT_QUEUE_TIMEOUT_MS = 1_000;
/** Attempts per request, counting the first. */
export const MAX_ATTEMPTS = 3;
/** Open files the daemon keeps for itself (Docker, members' health checks, logs) before sizing client connections. */
export const RESERVED_FILES = 1_024;

/** A member stopped on purpose (a removal, `fleet down`) gets this long after SIGQUIT; one failing its checks gets none. */
export const MEMBER_STOP_GRACE_SECONDS = 10;
/** A pass of the control loop runs this long after the first trigger of a burst. */
export const RECONCILE_COALESCE_MS = 20;
/** What the health checks ask of each member (images/nginx answers it). */
export const HEALTH_PATH = '/healthz';
/** After `fleet down` is done, the control socket stays this long so its caller hears the answer. */
export const DOWN_ANSWER_MS = 50;

/** How long the daemon waits for a change (start, add, remove) to settle before it gives up. */
export const SETTLE_TIMEOUT_MS = 120_000;
/** How long `fleet status` waits: the daemon answers it from memory. */
export const STATUS_TIMEOUT_MS = 10_000;
/**
 * How long the CLI waits for a call that may settle: longer than the daemon itself waits,
 * so the daemon's own answer (a timeout included) arrives before the CLI gives up on it.
 */
export const CONTROL_TIMEOUT_MS = SETTLE_TIMEOUT_MS + 30_000;
/** How long a new member may take to enter rotation during a rollout before it rolls back, unless `--ready-timeout` says otherwise. */
export const DEFAULT_READY_TIMEOUT_MS = 60_000;
export const MAX_READY_TIMEOUT_MS = 3_600_000;
/**
 * How long the CLI waits for a rollout: it replaces every member, each in up to its ready
 * timeout, and may roll them all back; the daemon stops it sooner (a step that makes no
 * progress rolls back), so this only bounds a CLI whose daemon went silent.
 */
export const ROLLOUT_CONTROL_TIMEOUT_MS = 6 * 3_600_000;
/** The largest request body the control socket reads; every call's body is a few bytes. */
export const CONTROL_MAX_BODY_BYTES = 64 * 1024;
/** The largest answer the CLI reads: a status of MAX_REPLICAS members is about 25 KiB. */
export const CONTROL_MAX_REPLY_BYTES = 1024 * 1024;

/** Members listen here inside their containers: above 1024, so nginx binds it without privilege. */
export const MEMBER_PORT = 8080;
/** Every process of a member runs as this user; images/nginx creates it with these ids. */
export const MEMBER_UID = 10101;
export const MEMBER_GID = 10101;

const MiB = 1024 * 1024;
/** About five times what a member peaked at with 1000 clients on it (12 MiB, page cache included). */
export const DEFAULT_MEMBER_MEMORY = 64 * MiB;
/** nginx's 4000 connections at once still fit; below this a flood risks the OOM killer. */
export const MIN_MEMBER_MEMORY = 32 * MiB;
/** A member never needs more; refuses a slip such as 128g for 128m. */
export const MAX_MEMBER_MEMORY = 4 * 1024 * MiB;
/** Half a CPU serves ~10k req/s per member, past what the balancer sends one member. */
export const DEFAULT_MEMBER_CPUS = 0.5;
export const MIN_MEMBER_CPUS = 0.1;
/** nginx runs one worker (images/nginx/nginx.conf): a member cannot use more than one CPU. */
export const MAX_MEMBER_CPUS = 1;
/** nginx's master and worker, plus the few processes of a list push. */
export const MEMBER_PIDS_LIMIT = 32;
/** nginx's 4000 connections can each hold a file too (images/nginx/nginx.conf). */
export const MEMBER_OPEN_FILES = 8192;

/** What an operator sizes per member (`fleet up --member-memory/--member-cpus`). */
export interface MemberLimits {
  memoryBytes: number;
  cpus: number;
}

// The balancer's worker processes.
/** At least two, so one worker's death never takes the front door down. */
export const DEFAULT_WORKERS = Math.max(2, availableCpus());
export const MAX_WORKERS = 64;
/** A worker that has not reported for this long has its event loop stuck: it is replaced. */
export const WORKER_HANG_MS = 3_000;
/**
 * Listeners each balancer worker adds on the balancer's socket: libuv accepts one connection
 * per listener per turn of the event loop, which 2000 busy clients stretch to up to a second.
 */
export const EXTRA_ACCEPTORS = 8;
/** On shutdown, the workers' requests in flight may take this long before the members go. */
export const WORKER_STOP_MS = 5_000;
/** A bug nobody caught: the primary stops in order for at most this long, then exits with BUG_EXIT_CODE (a worker exits with it too). */
export const BUG_STOP_MS = WORKER_STOP_MS + 2_000;
/** EX_SOFTWARE: the exit of a process that found a bug in itself. */
export const BUG_EXIT_CODE = 70;
/** The balancer's connect timeout is the health timeout, never below this. */
export const MIN_CONNECT_TIMEOUT_MS = 250;

function availableCpus(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}
