// Errors by kind. A FleetError is the user's or the environment's doing: the CLI prints
// its message on one line and exits non-zero. Anything else is a bug in fleet.
import { CodedUsageError } from '../cli/errors.js';

export type FleetErrorCode =
  | 'FLEET_BAD_INPUT'
  | 'FLEET_NOT_RUNNING'
  | 'FLEET_ALREADY_RUNNING'
  | 'FLEET_PORT_IN_USE'
  | 'FLEET_ENGINE_UNREACHABLE'
  | 'FLEET_ENGINE_ERROR'
  | 'FLEET_IMAGE_MISSING'
  | 'FLEET_IMAGE_BASE_UNAVAILABLE'
  | 'FLEET_IMAGE_BUILD_FAILED'
  | 'FLEET_IMAGE_INCOMPATIBLE'
  | 'FLEET_SCALE_REJECTED'
  | 'FLEET_CONVERGE_TIMEOUT'
  | 'FLEET_SOCKET_UNSAFE';

export class FleetError extends CodedUsageError<FleetErrorCode> {
  constructor(code: FleetErrorCode, message: string) {
    super('FleetError', code, message);
  }
}

export function isFleetError(error: unknown): error is FleetError {
  return error instanceof FleetError;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
