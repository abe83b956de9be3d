// What fleet's commands run with: clipanion's streams, and how long to wait for the daemon.
import type { BaseContext } from 'clipanion';

export interface FleetContext extends BaseContext {
  /** Replaces every control call's own timeout (protocol.ts); bin/fleet leaves it unset, tests shorten it. */
  controlTimeoutMs?: number;
}
