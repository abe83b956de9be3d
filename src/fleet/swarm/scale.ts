// `fleet add|remove --stack NAME`: the replicas a change asks Swarm for, and whether the stack
// has settled on them, from what a manager and one balancer of the stack say. Pure: the
// command reads the manager's /tasks and the balancer's /api/status and hands them here.
//
// Settled means, in this order:
//   1. Swarm runs exactly the replicas asked (none starting, none being stopped);
//   2. the balancer's list names exactly their overlay addresses;
//   3. every one of them holds that list's generation (or a newer one), by its agent's account.
// Every balancer of the stack computes the same list from the same tasks (generation.ts), and
// an agent takes only a newer list, so one balancer's account stands for all of them.
import { FleetError } from '../errors.js';
import { DEFAULT_ADMIN_PORT, MAX_REPLICAS } from '../config.js';
import { sortIps } from './generation.js';
import { type SwarmTask, observeTasks } from './tasks.js';

/** The members' replicas after adding (delta > 0) or removing (delta < 0) members; a stack keeps at least 1. */
export function targetReplicas(stack: string, from: number, delta: number): number {
  const target = from + delta;
  if (target < 1) throw new FleetError('FLEET_SCALE_REJECTED', `cannot remove ${-delta}: stack "${stack}" has ${from} members and keeps at least 1`);
  if (target > MAX_REPLICAS) throw new FleetError('FLEET_SCALE_REJECTED', `cannot add ${delta}: stack "${stack}" has ${from} members and allows at most ${MAX_REPLICAS}`);
  return target;
}

/** What `fleet add|remove --stack` reads of a balancer's /api/status. */
export interface BalancerView {
  list?: { generation: number; ips: string[] };
  members: { ip: string; generation?: number | null }[];
}

export interface Settling {
  settled: boolean;
  /** What it waits for, or, once settled, what holds: one line for the user. */
  state: string;
  /** The members running, by overlay address (sorted). */
  ips: string[];
}

export function settling(replicas: number, tasks: readonly SwarmTask[], service: string, network: string, balancer: BalancerView | undefined): Settling {
  // Members Swarm runs, health check passed: a task still starting is listed, but not yet settled.
  const ips = sortIps(observeTasks(tasks.filter((t) => t.Status?.State === 'running'), service, network).members.map((m) => m.ip));
  const starting = tasks.filter((t) => t.DesiredState === 'running' && t.Status?.State !== 'running').length;
  const stopping = tasks.filter((t) => t.DesiredState !== 'running' && t.Status?.State === 'running').length;
  const wait = (state: string): Settling => ({ settled: false, state, ips });
  if (ips.length !== replicas || starting > 0 || stopping > 0) {
    const more = [starting && `${starting} starting`, stopping && `${stopping} stopping`].filter(Boolean).join(', ');
    return wait(`Swarm runs ${ips.length} of ${replicas} members${more ? ` (${more})` : ''}`);
  }
  if (!balancer?.list) return wait('the balancer has no list yet');
  const listed = sortIps(balancer.list.ips);
  if (listed.join() !== ips.join()) return wait(`the list names ${listed.length} members, Swarm runs ${ips.length}`);
  const generation = balancer.list.generation;
  const held = new Map(balancer.members.map((m) => [m.ip, m.generation ?? 0]));
  const holding = ips.filter((ip) => (held.get(ip) ?? 0) >= generation).length;
  if (holding < ips.length) return wait(`${holding} of ${ips.length} members hold list ${generation}`);
  return { settled: true, state: `every one of the ${ips.length} members serves list ${generation}`, ips };
}

/** A balancer task as /tasks returns it, with the arguments its container runs with. */
export type BalancerTask = SwarmTask & { Spec?: { ContainerSpec?: { Args?: string[] } } };

/** The container of the stack's balancer running on `node`, and its admin port; undefined when none runs there. */
export function localBalancer(tasks: readonly BalancerTask[], node: string): { container: string; port: number } | undefined {
  const task = tasks.find((t) => t.NodeID === node && t.DesiredState === 'running' && t.Status?.State === 'running' && t.Status.ContainerStatus?.ContainerID);
  const container = task?.Status?.ContainerStatus?.ContainerID;
  if (!task || !container) return undefined;
  return { container, port: adminPort(task.Spec?.ContainerSpec?.Args ?? []) };
}

/** `--admin-port=N` or `--admin-port N` among a balancer's arguments; the default otherwise. */
export function adminPort(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const value = args[i].startsWith('--admin-port=') ? args[i].slice('--admin-port='.length) : args[i] === '--admin-port' ? args[i + 1] : undefined;
    if (value !== undefined && /^\d+$/.test(value)) return Number(value);
  }
  return DEFAULT_ADMIN_PORT;
}
