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
