// How a control call fails, by what it tells the caller about the daemon. Only NoDaemonError
// says that no daemon runs; every other failure leaves that open.
import { FleetError, type FleetErrorCode, INTERNAL_ERROR_CODE } from '../../errors.js';

/** No socket, or nothing accepts on it: the one failure after which `fleet down` cleans up by itself. */
export class NoDaemonError extends FleetError {
  constructor(fleet: string, socketPath: string) {
    super('FLEET_NOT_RUNNING', `fleet "${fleet}" is not running (no daemon answers on ${socketPath})`);
  }
}

/** The channel failed (no answer in time, a socket error, an answer that breaks the protocol): a daemon may still run. */
export class ControlChannelError extends FleetError {
  constructor(code: Extract<FleetErrorCode, 'FLEET_CONTROL_TIMEOUT' | 'FLEET_CONTROL_UNREACHABLE' | 'FLEET_CONTROL_BAD_REPLY'>, message: string) {
    super(code, message);
  }
}

/** The daemon answered 500: a bug in fleet, not the user's doing, so the CLI exits 70. */
export class DaemonBugError extends Error {
  readonly code = INTERNAL_ERROR_CODE;

  constructor(message: string) {
    super(message);
    this.name = 'DaemonBugError';
  }
}
