// Everything fleet names in Docker and on disk, derived from the fleet's name, so
// fleets with different names never touch each other's containers, network or socket.
import os from 'node:os';
import path from 'node:path';

export const LABEL_FLEET = 'io.fleet.name';
export const LABEL_ROLE = 'io.fleet.role';
export const MEMBER_ROLE = 'member';
/** The image a member was started from, as the fleet named it (the engine's own field may show an id once the tag moves). */
export const LABEL_IMAGE = 'io.fleet.image';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,29}$/;

/** A container's id as `docker ps` shows it, for logs. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

export function networkName(fleet: string): string {
  return `fleet-${fleet}`;
}

export function memberName(fleet: string, suffix: string): string {
  return `fleet-${fleet}-${suffix}`;
}

/** A directory only this user can enter, for the control sockets. */
export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLEET_RUN_DIR) return env.FLEET_RUN_DIR;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'fleet');
  return path.join(os.tmpdir(), `fleet-${process.getuid?.() ?? 'user'}`);
}

export function socketPath(fleet: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(runDir(env), `${fleet}.sock`);
}
