// What a running fleet can be asked, by the control socket, the admin listener and the
// daemon's own signals: its status, a scale, a rollout, a reload of the workers, and down.
// Each is a module of its own; this class holds the state they share: once the fleet is
// going down, nothing else starts, and a rollout runs alone (no second rollout, no scale
// beside it: each would move the count or the image the other is judging).
import { DOWN_ANSWER_MS } from '../config.js';
import type { DownResult, FleetStatus, ReloadResult, RolloutResult, ScaleResult, WorkerStatus } from '../control/types.js';
import { FleetError } from '../errors.js';
import { type DownSources, down } from './down.js';
import { type RolloutRequest, type RolloutSources, rollout } from './rollout.js';
import { type ScaleSources, scale } from './scale.js';
import { type StatusSources, fleetStatus } from './status.js';

export interface UseCaseSources {
  status: StatusSources;
  scale: Omit<ScaleSources, 'status'>;
  rollout: Omit<RolloutSources, 'status'>;
  down: DownSources;
  workers: { reload(): Promise<void>; status(): WorkerStatus[] };
  /** Closes the control socket and the admin listener, once a down was answered. */
  closeChannels(): Promise<void>;
}

export class UseCases {
  private shuttingDown: Promise<DownResult> | undefined;
  private exitHook: (() => void) | undefined;
  /** The image a rollout in progress moves to. */
  private rollingTo: string | undefined;
  /** Scales in progress. */
  private scaling = 0;

  constructor(private readonly sources: UseCaseSources) {}

  status(): FleetStatus {
    return fleetStatus(this.sources.status);
  }

  async scale(delta: number): Promise<ScaleResult> {
    this.refuseWhileStopping();
    if (this.rollingTo !== undefined) {
      const verb = delta > 0 ? `add ${delta}` : `remove ${-delta}`;
      throw new FleetError('FLEET_ROLLOUT_BUSY', `cannot ${verb}: fleet "${this.sources.down.fleet}" is rolling out ${this.rollingTo}; try again once it ends`);
    }
    this.scaling++;
    try {
      return await scale({ ...this.sources.scale, status: () => this.status() }, delta);
    } finally {
      this.scaling--;
    }
  }

  /** Moves the members to a new image one at a time, start first; rolls back when a new one fails. */
  async rollout(request: RolloutRequest): Promise<RolloutResult> {
    this.refuseWhileStopping();
    const fleet = this.sources.down.fleet;
    if (this.rollingTo !== undefined) throw new FleetError('FLEET_ROLLOUT_BUSY', `fleet "${fleet}" is already rolling out ${this.rollingTo}; wait for it to end`);
    if (this.scaling > 0) throw new FleetError('FLEET_ROLLOUT_BUSY', `fleet "${fleet}" is adding or removing members; try again once that ends`);
    this.rollingTo = request.image;
    try {
      return await rollout({ ...this.sources.rollout, status: () => this.status() }, request);
    } finally {
      this.rollingTo = undefined;
    }
  }

  /** Replaces the balancer's workers one at a time (new code, a leak), failing no request. */
  async reload(): Promise<ReloadResult> {
    this.refuseWhileStopping();
    await this.sources.workers.reload();
    return { workers: this.sources.workers.status() };
  }

  /** Stops everything and removes the fleet's containers and network; safe to call twice. */
  down(reason: string): Promise<DownResult> {
    this.shuttingDown ??= down(this.sources.down, reason).finally(() => {
      // Answer the caller of `fleet down` before the socket goes.
      setTimeout(() => void this.sources.closeChannels().then(() => this.exitHook?.()), DOWN_ANSWER_MS);
    });
    return this.shuttingDown;
  }

  /** Called once the fleet is down and its channels closed, whatever asked for it. */
  onExit(hook: () => void): void {
    this.exitHook = hook;
  }

  private refuseWhileStopping(): void {
    if (this.shuttingDown) throw new FleetError('FLEET_NOT_RUNNING', `fleet "${this.sources.down.fleet}" is shutting down`);
  }
}
