// What a balancer on Swarm shows of the stack beyond its members (the dashboard, /api/status):
// node names for the member rows, and the stack's balancers as the manager lists them. Read
// in the background, at most every `everyMs` and only while someone asks for the status: the
// manager's socket is a shared resource, and none of this steers anything.
import type { SwarmNode } from './stack-status.js';
import type { SwarmTask } from './tasks.js';

export interface StackBalancer {
  /** The node's hostname (its id, short, while unknown). */
  node: string;
  /** The task's state: running, starting, …; `desired` differs while Swarm stops it. */
  state: string;
  desired: string;
}

export interface StackViewSource {
  nodes(): Promise<SwarmNode[]>;
  tasks(service: string): Promise<SwarmTask[]>;
}

export class StackView {
  private readonly names = new Map<string, string>();
  private shown: StackBalancer[] = [];
  private readAt = -Infinity;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly source: StackViewSource,
    /** The balancers' service, `STACK_balancer`. */
    private readonly service: string,
    private readonly everyMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The node's hostname, or its id (short) until a read has named it. */
  nodeName(id: string): string {
    return this.names.get(id) ?? id.slice(0, 12);
  }

  get balancers(): StackBalancer[] {
    return this.shown;
  }

  /** Reads the nodes and the balancers' tasks again if the last read is older than `everyMs`; a failed read keeps the last. */
  refresh(): Promise<void> {
    if (this.reading || this.now() - this.readAt < this.everyMs) return this.reading ?? Promise.resolve();
    this.readAt = this.now();
    this.reading = Promise.all([this.source.nodes(), this.source.tasks(this.service)])
      .then(
        ([nodes, tasks]) => {
          for (const node of nodes) this.names.set(node.ID, node.Description?.Hostname ?? node.ID.slice(0, 12));
          this.shown = tasks
            .filter((task) => task.DesiredState === 'running' || task.Status?.State === 'running')
            .map((task) => ({ node: this.nodeName(task.NodeID ?? ''), state: task.Status?.State ?? 'unknown', desired: task.DesiredState ?? 'unknown' }))
            .sort((a, b) => a.node.localeCompare(b.node));
        },
        () => undefined,
      )
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}
