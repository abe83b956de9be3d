// Errors by kind. A FleetError is the user's or the environment's doing: the CLI prints
// its message on one line and exits non-zero. Anything else is a bug in fleet.
import { CodedUsageError } from '../cli/errors.js';

export const FLEET_ERROR_CODES = [
  'FLEET_BAD_INPUT',
  'FLEET_NOT_RUNNING',
  'FLEET_ALREADY_RUNNING',
  'FLEET_PORT_IN_USE',
  'FLEET_PORT_DENIED',
  'FLEET_ENGINE_BAD_HOST',
  'FLEET_ENGINE_UNREACHABLE',
  'FLEET_ENGINE_ERROR',
  'FLEET_IMAGE_MISSING',
  'FLEET_IMAGE_BASE_UNAVAILABLE',
  'FLEET_IMAGE_BUILD_FAILED',
  'FLEET_IMAGE_INCOMPATIBLE',
  'FLEET_SCALE_REJECTED',
  // A rollout refused (another change is under way) or rolled back (a new member failed).
  'FLEET_ROLLOUT_BUSY',
  'FLEET_ROLLOUT_FAILED',
  'FLEET_CONVERGE_TIMEOUT',
  'FLEET_SOCKET_UNSAFE',
  'FLEET_WORKER_FAILED',
  'FLEET_ACCESS_LOG_UNWRITABLE',
  // Swarm mode (`fleet up --stack`): no such stack on the engine, or the engine is no manager;
  // `fleet add|remove --stack` on a manager that runs none of the stack's balancers.
  'FLEET_NO_STACK',
  'FLEET_NOT_A_MANAGER',
  'FLEET_NO_BALANCER',
  // The control socket refused a request: not JSON, not an object, or failing its route's
  // validator (400); no such path (404); the wrong method (405); a body over the limit (413).
  'FLEET_CONTROL_BAD_REQUEST',
  'FLEET_CONTROL_NOT_FOUND',
  'FLEET_CONTROL_METHOD_NOT_ALLOWED',
  'FLEET_CONTROL_TOO_LARGE',
  // The CLI's side: the daemon did not answer in time, the socket failed otherwise, or the
  // answer was not what the route promises. None of them means that no daemon runs.
  'FLEET_CONTROL_TIMEOUT',
  'FLEET_CONTROL_UNREACHABLE',
  'FLEET_CONTROL_BAD_REPLY',
] as const;

export type FleetErrorCode = (typeof FLEET_ERROR_CODES)[number];

/** What the daemon answers for a bug of its own: not a FleetError, and the CLI exits 70. */
export const INTERNAL_ERROR_CODE = 'FLEET_INTERNAL';

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
