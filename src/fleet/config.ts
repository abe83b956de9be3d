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
