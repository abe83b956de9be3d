// Defaults and limits of the fleet, in one place for the CLI, the daemon and the docs.

export const DEFAULT_NAME = 'fleet';
export const DEFAULT_IMAGE = 'fleet-nginx:latest';
export const OFFLINE_IMAGE = 'fleet-nginx:offline';
export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_REPLICAS = 3;
/** Every change is one `docker exec` per member; past this a change takes seconds. */
export const MAX_REPLICAS = 100;
export const DEFAULT_HEALTH_INTERVAL_MS = 2_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 1_000;
export const DEFAULT_RISE = 2;
export const DEFAULT_FALL = 3;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
export const DEFAULT_RESYNC_MS = 5_000;
export const DEFAULT_REPLACE_AFTER_MS = 30_000;

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
export const DEFAULT_QUEUE_TIMEOUT_MS = 5_000;
/** Attempts per request, counting the first. */
export const MAX_ATTEMPTS = 3;
/** Open files the daemon keeps for itself (Docker, members' health checks, logs) before sizing client connections. */
export const RESERVED_FILES = 1_024;

/** How long the daemon waits for a change (start, add, remove) to settle before it gives up. */
export const SETTLE_TIMEOUT_MS = 120_000;
/** How long `fleet status` waits: the daemon answers it from memory. */
export const STATUS_TIMEOUT_MS = 10_000;
/**
 * How long the CLI waits for a call that may settle: longer than the daemon itself waits,
 * so the daemon's own answer (a timeout included) arrives before the CLI gives up on it.
 */
export const CONTROL_TIMEOUT_MS = SETTLE_TIMEOUT_MS + 30_000;
/** The largest request body the control socket reads; every call's body is a few bytes. */
export const CONTROL_MAX_BODY_BYTES = 64 * 1024;
/** The largest answer the CLI reads: a status of MAX_REPLICAS members is about 25 KiB. */
export const CONTROL_MAX_REPLY_BYTES = 1024 * 1024;
