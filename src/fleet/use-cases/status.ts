// `fleet status` and the admin listener's /api/status: the fleet as the control plane knows
// it, read from memory (no engine call), members by name.
import type { Member } from '../control/members.js';
import type { FleetStatus, MemberStatus, WorkerStatus } from '../control/types.js';

/** What the status is read from. */
export interface StatusSources {
  fleet: { name: string; port: number; host: string };
  /** The primary's pid. */
  pid: number;
  members: { list(): Member[] };
  controller: {
    readonly desired: number;
    /** The image members run now (a rollout changes it). */
    readonly image: string;
    imageOf(id: string): string | undefined;
    inSync(id: string): boolean;
    replacement(): { suspended: string | undefined; since: number | undefined; held: number };
  };
  lists: { sessionOpen(id: string): boolean };
  workers: { status(): WorkerStatus[] };
}

export function fleetStatus(s: StatusSources): FleetStatus {
  const r = s.controller.replacement();
  return {
    name: s.fleet.name,
    desired: s.controller.desired,
    port: s.fleet.port,
    host: s.fleet.host,
    image: s.controller.image,
    pid: s.pid,
    members: s.members
      .list()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((m) => memberStatus(s, m)),
    workers: s.workers.status(),
    replacement: { suspended: r.suspended ?? null, since: r.since ?? null, held: r.held },
  };
}

export function memberStatus(s: Pick<StatusSources, 'controller' | 'lists'>, m: Member): MemberStatus {
  return {
    id: m.id,
    name: m.name,
    ip: m.ip,
    healthy: m.health.up === true,
    state: m.state,
    inflight: m.inflight,
    inSync: s.controller.inSync(m.id),
    session: s.lists.sessionOpen(m.id) ? 'open' : 'down',
    image: s.controller.imageOf(m.id),
  };
}
