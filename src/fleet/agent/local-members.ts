// Which of the stack's members run on this node, kept level-triggered: every start event,
// every reconnect of the event stream and a periodic timer lead to the same full re-list,
// and a die event is acted on at once (it names the container; its address is the one last
// seen). A failed list changes nothing.
import type { Logger } from '../../log.js';
import type { ContainerEvent, LabelledContainer } from '../docker/labelled.js';

export interface Member {
  id: string;
  ip: string;
}

export interface MemberSource {
  list(): Promise<LabelledContainer[]>;
  follow(onEvent: (event: ContainerEvent) => void, onConnect: () => void, onDrop: (reason: string) => void, signal: AbortSignal): Promise<void>;
}

export interface MemberSink {
  started(member: Member): void;
  died(member: Member): void;
}

/**
 * What a list changes: running containers with an address not known yet started, known
 * ones no longer running died. A container a die event named is not taken back from a list
 * that still shows it running.
 */
export function diffMembers(known: ReadonlyMap<string, string>, observed: readonly LabelledContainer[], dead: ReadonlySet<string>): { started: Member[]; died: Member[] } {
  const running = new Map<string, string>();
  for (const container of observed) if (container.ip && !dead.has(container.id)) running.set(container.id, container.ip);
  const started = [...running].filter(([id]) => !known.has(id)).map(([id, ip]) => ({ id, ip }));
  const died = [...known].filter(([id]) => !running.has(id)).map(([id, ip]) => ({ id, ip }));
  return { started, died };
}

export class LocalMembers {
  private readonly known = new Map<string, string>();
  /**
   * Containers a die event named, until a start event names them again or a list no longer
   * shows them: the engine lists a container as running for a moment after its die event (seen
   * on Swarm nodes), and a list asked for before the death may answer after it.
   */
  private readonly dead = new Set<string>();
  private listing = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private following: Promise<void> | undefined;
  /** Matching containers with no address on the network, told once each (a wrong --network, most likely). */
  private readonly unaddressed = new Set<string>();

  constructor(
    private readonly source: MemberSource,
    private readonly sink: MemberSink,
    private readonly log: Logger,
    private readonly resyncMs: number,
  ) {}

  get members(): Member[] {
    return [...this.known].map(([id, ip]) => ({ id, ip }));
  }

  /** Lists once (an engine that cannot be reached fails the start), then follows events. */
  async start(): Promise<void> {
    this.apply(await this.source.list());
    this.following = this.source.follow(
      (event) => this.onEvent(event),
      () => this.relist('connect'),
      (reason) => this.log.warn('agent.events_dropped', { reason }),
      this.abort.signal,
    );
    this.timer = setInterval(() => this.relist('timer'), this.resyncMs);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.abort.abort();
    await this.following;
  }

  private onEvent(event: ContainerEvent): void {
    if (event.action === 'die') {
      this.dead.add(event.id);
      const ip = this.known.get(event.id);
      if (ip !== undefined) {
        this.known.delete(event.id);
        this.sink.died({ id: event.id, ip });
      }
    } else this.dead.delete(event.id);
    this.relist(event.action);
  }

  /** Coalesced: a list asked for while one runs is made once, after it. */
  private relist(cause: string): void {
    if (this.listing) {
      this.again = true;
      return;
    }
    this.listing = true;
    this.source.list().then(
      (observed) => this.apply(observed),
      (error: Error) => this.log.warn('agent.list_failed', { cause, error: error.message }),
    ).finally(() => {
      this.listing = false;
      if (this.again) {
        this.again = false;
        this.relist('again');
      }
    });
  }

  private apply(observed: readonly LabelledContainer[]): void {
    const { started, died } = diffMembers(this.known, observed, this.dead);
    for (const container of observed) {
      if (container.ip || this.unaddressed.has(container.id)) continue;
      this.unaddressed.add(container.id);
      this.log.warn('agent.member_without_address', { member: container.id.slice(0, 12), note: 'it matches the selectors but has no IPv4 address on the network; is --network right?' });
    }
    for (const member of died) {
      this.known.delete(member.id);
      this.sink.died(member);
    }
    for (const member of started) {
      this.known.set(member.id, member.ip);
      this.sink.started(member);
    }
    // A death the engine no longer lists as running is settled.
    for (const id of this.dead) if (!observed.some((container) => container.id === id)) this.dead.delete(id);
  }
}
