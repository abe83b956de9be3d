// `fleet status --stack NAME`: the stack as a Swarm manager sees it, grouped by node: each
// node's role and state, the members it runs (task, overlay address, state, image), and
// whether its agent and its balancer run. Pure: the command reads the manager's /nodes,
// /services and /tasks and hands them here; tests drive it with tables of those answers.
import type { BalancerView } from './scale.js';
import { type SwarmTask, addressOf } from './tasks.js';

/** The fields of an Engine API node that the status reads (GET /nodes). */
export interface SwarmNode {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string };
}

/** The fields of an Engine API service that the status reads (GET /services/NAME). */
export interface SwarmService {
  Spec?: { Mode?: { Replicated?: { Replicas?: number }; Global?: object }; TaskTemplate?: { ContainerSpec?: { Image?: string } } };
  UpdateStatus?: { State?: string; Message?: string };
}

/** A task with what the status says of it; its image from the task's own spec. */
type StatusTask = SwarmTask & { Spec?: { ContainerSpec?: { Image?: string } }; Status?: SwarmTask['Status'] & { Err?: string } };

export interface StackTask {
  /** `SERVICE.SLOT` (replicated) or `SERVICE` (global), as `docker service ps` names it. */
  name: string;
  /** The task's state: running, starting, failed, …; `desired` differs when Swarm is stopping it. */
  state: string;
  desired: string;
  /** The container's id, short; empty before the task has one. */
  container: string;
  /** The overlay address on the stack's network; empty when it has none yet. */
  ip: string;
  image: string;
  error?: string;
  /** A member's list generation, by its agent's account as the balancer tells it; null when none is reported, absent without a balancer's account. */
  list?: number | null;
}

export interface StackNode {
  hostname: string;
  role: string;
  /** ready, down, unknown, … as the managers last heard. */
  state: string;
  availability: string;
  leader: boolean;
  /** Labelled `fleet.edge=true`: a balancer may run on it. */
  edge: boolean;
  members: StackTask[];
  agents: StackTask[];
  balancers: StackTask[];
}

export interface StackStatus {
  stack: string;
  /** The image the members' service asks for (its digest, if any, left out). */
  image: string;
  desired: number;
  /** Members whose tasks run now. */
  running: number;
  /** The members' update as Swarm reports it (updating, completed, rollback_completed, …); null before any. */
  update: string | null;
  /** The list every member is owed, as the balancer on the manager's node computed it; absent when none answered. */
  list?: { generation: number; members: number };
  nodes: StackNode[];
}

export interface StackInput {
  nodes: readonly SwarmNode[];
  service: SwarmService;
  members: readonly StatusTask[];
  agents: readonly StatusTask[];
  balancers: readonly StatusTask[];
  /** The status of a balancer of the stack (the one on the manager's node), when it answered. */
  balancer?: BalancerView;
}

/** Tasks Swarm wants running (starting ones too), and running ones it is stopping: not the history of the dead. */
function shown(task: StatusTask): boolean {
  return task.DesiredState === 'running' || (task.Status?.State ?? '') === 'running';
}

function withoutDigest(image: string): string {
  return image.split('@')[0];
}

function taskOf(task: StatusTask, service: string, network: string, global: boolean): StackTask {
  const attachment = task.NetworksAttachments?.find((a) => a.Network?.Spec?.Name === network);
  const error = task.Status?.Err;
  return {
    name: global ? service : `${service}.${task.Slot ?? task.ID.slice(0, 12)}`,
    state: task.Status?.State ?? 'unknown',
    desired: task.DesiredState ?? 'unknown',
    container: (task.Status?.ContainerStatus?.ContainerID ?? '').slice(0, 12),
    ip: attachment?.Addresses?.map(addressOf).find((a) => a !== undefined) ?? '',
    image: withoutDigest(task.Spec?.ContainerSpec?.Image ?? ''),
    ...(error && { error }),
  };
}

export function stackStatus(stack: string, input: StackInput): StackStatus {
  const network = `${stack}_fleet`;
  const byNode = new Map<string, StackNode>();
  const nodes = [...input.nodes].sort((a, b) => (a.Description?.Hostname ?? a.ID).localeCompare(b.Description?.Hostname ?? b.ID));
  for (const node of nodes) {
    byNode.set(node.ID, {
      hostname: node.Description?.Hostname ?? node.ID.slice(0, 12),
      role: node.Spec?.Role ?? 'unknown',
      state: node.Status?.State ?? 'unknown',
      availability: node.Spec?.Availability ?? 'unknown',
      leader: node.ManagerStatus?.Leader === true,
      edge: node.Spec?.Labels?.['fleet.edge'] === 'true',
      members: [],
      agents: [],
      balancers: [],
    });
  }
  const place = (tasks: readonly StatusTask[], service: string, into: 'members' | 'agents' | 'balancers', global: boolean): void => {
    const sorted = [...tasks].filter(shown).sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0) || a.ID.localeCompare(b.ID));
    for (const task of sorted) byNode.get(task.NodeID ?? '')?.[into].push(taskOf(task, service, network, global));
  };
  place(input.members, `${stack}_members`, 'members', false);
  const held = new Map(input.balancer?.members.map((m) => [m.ip, m.generation ?? null]));
  if (input.balancer) for (const node of byNode.values()) for (const m of node.members) m.list = held.get(m.ip) ?? null;
  place(input.agents, `${stack}_agent`, 'agents', true);
  place(input.balancers, `${stack}_balancer`, 'balancers', true);
  const all = [...byNode.values()];
  return {
    stack,
    image: withoutDigest(input.service.Spec?.TaskTemplate?.ContainerSpec?.Image ?? ''),
    desired: input.service.Spec?.Mode?.Replicated?.Replicas ?? 0,
    running: all.reduce((n, node) => n + node.members.filter((m) => m.state === 'running' && m.desired === 'running').length, 0),
    update: input.service.UpdateStatus?.State ?? null,
    ...(input.balancer?.list && { list: { generation: input.balancer.list.generation, members: input.balancer.list.ips.length } }),
    nodes: all,
  };
}
