// What a member container is allowed, as one pure function of the fleet's settings: the
// engine creates exactly this. A member runs as an unprivileged user with no capability,
// on a read-only root whose only writable places are two small tmpfs.
import type Docker from 'dockerode';
import { MEMBER_GID, MEMBER_OPEN_FILES, MEMBER_PIDS_LIMIT, MEMBER_UID, type MemberLimits } from '../config.js';
import { LABEL_FLEET, LABEL_IMAGE, LABEL_ROLE, MEMBER_ROLE, networkName } from '../names.js';

export interface MemberSpec {
  fleet: string;
  image: string;
  /** Extra labels, e.g. a test run's own. */
  labels?: Record<string, string>;
  limits: MemberLimits;
}

/** nginx's pid file and temp paths (images/nginx/nginx.conf); its default error log on Alpine. */
export const NGINX_RUN_DIR = '/run/nginx';
/** The served list, which fleet-set-members replaces by a rename within this directory. */
export const LIST_DIR = '/srv/fleet';

/** Size-capped (tmpfs pages count against the member's memory), owned by the member's user. */
function tmpfs(mode: string, size: string): string {
  return ['rw', 'noexec', 'nosuid', 'nodev', `size=${size}`, `mode=${mode}`, `uid=${MEMBER_UID}`, `gid=${MEMBER_GID}`].join(',');
}

export function memberContainer(spec: MemberSpec, name: string): Docker.ContainerCreateOptions {
  const { memoryBytes, cpus } = spec.limits;
  return {
    Image: spec.image,
    name,
    Labels: { ...spec.labels, [LABEL_FLEET]: spec.fleet, [LABEL_ROLE]: MEMBER_ROLE, [LABEL_IMAGE]: spec.image },
    User: `${MEMBER_UID}:${MEMBER_GID}`,
    StopSignal: 'SIGQUIT',
    HostConfig: {
      NetworkMode: networkName(spec.fleet),
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: { [NGINX_RUN_DIR]: tmpfs('0700', '1m'), [LIST_DIR]: tmpfs('0755', '1m') },
      // No /dev/shm, which would be a third writable place.
      IpcMode: 'none',
      Memory: memoryBytes,
      // Swap limit equal to the memory limit: no swap at all.
      MemorySwap: memoryBytes,
      NanoCpus: Math.round(cpus * 1e9),
      PidsLimit: MEMBER_PIDS_LIMIT,
      Ulimits: [
        { Name: 'nofile', Soft: MEMBER_OPEN_FILES, Hard: MEMBER_OPEN_FILES },
        // POSIX message queues (/dev/mqueue) are writable by anyone in the container: none.
        { Name: 'msgqueue', Soft: 0, Hard: 0 },
      ],
    },
  };
}
