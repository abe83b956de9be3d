// What the control plane says about itself: the shapes its use cases return and the Docker
// events it acts on. The control socket's protocol, the admin listener and the CLI's
// formatting import them from here; the Docker adapter produces MemberEvent.

/** A change of one member's container, as the Docker adapter reports it. */
export interface MemberEvent {
  /** Docker's action: `start`, `die`, `destroy`, `oom`… */
  action: string;
  /** The container's id. */
  id: string;
}

export interface MemberStatus {
  id: string;
  name: string;
  ip: string;
  healthy: boolean;
  state: string;
  inflight: number;
  /** The member holds the fleet's current list. */
  inSync: boolean;
  /** How the member gets lists: its long-lived session, or one-shot exec while the session is down. */
  session: 'open' | 'down';
  /** The image it was started from (absent from a daemon that predates rollouts, or while unknown). */
  image?: string;
  /** On Swarm: the node that runs it (its hostname). */
  node?: string;
  /** On Swarm: the generation of the list it holds, by its agent's account (null: none reported). */
  generation?: number | null;
}

export interface WorkerStatus {
  slot: number;
  pid: number;
  state: 'starting' | 'serving' | 'retiring';
  /** Requests it received since it started. */
  requests: number;
  /** Requests it has in flight. */
  inflight: number;
  connections: number;
  /** How many times this slot's worker was replaced (exits, hangs and reloads). */
  restarts: number;
}

export interface ReplacementStatus {
  /** Why replacing is suspended (failures are systemic: `failures`, `engine-errors`, `engine-slow`); null while it is not. */
  suspended: string | null;
  /** Since when it is suspended (ms since the epoch); null while it is not. */
  since: number | null;
  /** Replacements owed and not started yet: backoff, the rate limit or the suspension. */
  held: number;
}

export interface FleetStatus {
  name: string;
  desired: number;
  port: number;
  host: string;
  image: string;
  /** The primary's pid. */
  pid: number;
  members: MemberStatus[];
  /** The balancer's worker processes. */
  workers: WorkerStatus[];
  /** Replacing failed members (absent from a daemon that predates replacement's status). */
  replacement?: ReplacementStatus;
  /** On Swarm: the list every member is owed now (the same bytes from every balancer). */
  list?: { generation: number; ips: string[] };
  /** On Swarm: the agents this balancer links to, and the stack's balancers as the manager lists them. */
  stack?: { agents: { address: string; connected: boolean }[]; balancers: { node: string; state: string; desired: string }[] };
}

export interface ScaleResult {
  added: MemberStatus[];
  removed: MemberStatus[];
  status: FleetStatus;
}

export interface RolloutResult {
  /** The image the fleet runs now. */
  image: string;
  /** The image it ran before. */
  previous: string;
  /** Members the rollout started, as they serve now. */
  started: MemberStatus[];
  /** Members it replaced, as they were before. */
  removed: MemberStatus[];
  status: FleetStatus;
}

export interface ReloadResult {
  workers: WorkerStatus[];
}

export interface DownResult {
  removedContainers: number;
  removedNetwork: boolean;
}
