// The containers of this engine that carry given labels, and their starts and deaths, for
// the per-node agent: it finds a stack's members on its own node by label (on Swarm, the
// labels Swarm sets on every task container) instead of by fleet name as `fleet up` does.
import Docker from 'dockerode';
import { type EngineAddress } from '../../engine/address.js';
import { dockerOptions, engineError, resolveAddress } from './engine.js';
import { followContainerEvents } from './follow-events.js';

export interface LabelledContainer {
  id: string;
  /** Its IPv4 address on the chosen network (or its only one); undefined when it has none yet. */
  ip: string | undefined;
}

export interface ContainerEvent {
  action: 'start' | 'die';
  id: string;
}

export class LabelledContainers {
  private readonly api: Docker;
  private readonly stream: Docker;
  readonly address: string;

  /** `selectors` are `KEY=VALUE` labels a container must all carry; `network` picks the address to report. */
  constructor(
    private readonly selectors: readonly string[],
    private readonly network: string | undefined,
    timeoutMs = 10_000,
    address: EngineAddress = resolveAddress(),
  ) {
    const options = dockerOptions(address);
    this.address = address.display;
    this.api = new Docker({ ...options, timeout: timeoutMs });
    this.stream = new Docker(options);
  }

  /** The running containers that match; throws (never returns a short list) when the engine fails. */
  async list(): Promise<LabelledContainer[]> {
    let containers: Docker.ContainerInfo[];
    try {
      containers = await this.api.listContainers({ filters: { label: [...this.selectors], status: ['running'] } });
    } catch (error) {
      throw engineError('cannot list containers', error, this.address);
    }
    return containers.map((c) => ({ id: c.Id, ip: this.ipOf(c.NetworkSettings?.Networks ?? {}) }));
  }

  private ipOf(networks: Record<string, { IPAddress?: string }>): string | undefined {
    if (this.network !== undefined) return networks[this.network]?.IPAddress || undefined;
    // Without --network: the address on the first network, by name, that gives one.
    for (const name of Object.keys(networks).sort()) if (networks[name]?.IPAddress) return networks[name].IPAddress;
    return undefined;
  }

  /**
   * Follows the matching containers' starts and deaths until `signal` aborts, reconnecting
   * with backoff; `onConnect` runs on every (re)connection so the caller can re-list.
   */
  async follow(onEvent: (event: ContainerEvent) => void, onConnect: () => void, onDrop: (reason: string) => void, signal: AbortSignal): Promise<void> {
    const only = ({ action, id }: { action: string; id: string }): void => {
      if ((action === 'start' || action === 'die') && id) onEvent({ action, id });
    };
    await followContainerEvents(this.stream, { label: [...this.selectors], event: ['start', 'die'] }, only, onConnect, onDrop, signal);
  }
}
