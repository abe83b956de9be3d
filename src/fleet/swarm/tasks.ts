// What the manager's /tasks says about the stack's members, read into fleet's own model:
// one member per task that Swarm wants running and that runs, addressed on the stack's
// overlay. Pure, so that tests drive it with tables of tasks as the Engine API returns them.

/** The fields of an Engine API task that fleet reads (GET /tasks, API 1.41). */
export interface SwarmTask {
  ID: string;
  Version?: { Index?: number };
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: { Network?: { ID?: string; Spec?: { Name?: string } }; Addresses?: string[] }[];
}

/** A member as Swarm runs it: its container (what the agents' events name), task and overlay address. */
export interface SwarmMember {
  /** The container's id: the agents' /events name members by it. */
  id: string;
  taskId: string;
  /** `SERVICE.SLOT`, as `docker service ps` names a task. */
  name: string;
  ip: string;
  nodeId: string;
}

export interface TaskObservation {
  /** Members running now, sorted by id. */
  members: SwarmMember[];
  /** The highest Version.Index of every task listed, whatever its state: Swarm's raft index only grows. */
  index: number;
}

/** The address part of `10.0.1.5/24`; undefined when it is not IPv4. */
export function addressOf(cidr: string): string | undefined {
  const ip = cidr.split('/')[0];
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) ? ip : undefined;
}

/** Task states whose container a member list names: started or being started, and running. */
const MEMBER_STATES = new Set(['starting', 'running']);

/**
 * The members among `tasks` (every task of the members' service, any state): desired
 * running, starting or running, with a container and an address on `network`. A task is
 * `starting` from its container's start until its health check passes, and the member's
 * health check passes only once it serves a list: so a new member is listed as it starts
 * (its agent has pushed it the current list by then), not a health interval or more later.
 * It enters a balancer's rotation only once it holds a list naming it and answers a check.
 */
export function observeTasks(tasks: readonly SwarmTask[], service: string, network: string): TaskObservation {
  let index = 0;
  const members: SwarmMember[] = [];
  for (const task of tasks) {
    index = Math.max(index, task.Version?.Index ?? 0);
    if (task.DesiredState !== 'running' || !MEMBER_STATES.has(task.Status?.State ?? '')) continue;
    const id = task.Status?.ContainerStatus?.ContainerID;
    const attachment = task.NetworksAttachments?.find((a) => a.Network?.Spec?.Name === network);
    const ip = attachment?.Addresses?.map(addressOf).find((a) => a !== undefined);
    if (!id || !ip) continue;
    members.push({ id, taskId: task.ID, name: `${service}.${task.Slot ?? task.NodeID ?? task.ID.slice(0, 12)}`, ip, nodeId: task.NodeID ?? '' });
  }
  members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { members, index };
}
