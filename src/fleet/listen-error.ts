// Why a listen failed, in the user's words: one mapping for the front door (its workers
// report the errno) and the admin page. A port the user may not bind is a permission
// problem, not a port in use.
import { FleetError } from './errors.js';

export interface ListenTarget {
  /** 'admin ' for the admin page, '' for the front door. */
  label: '' | 'admin ';
  host: string;
  port: number;
  /** What to do about a port in use, appended in parentheses. */
  hint?: string;
}

export function listenError(code: string | undefined, message: string, { label, host, port, hint }: ListenTarget): FleetError {
  if (code === 'EADDRINUSE') return new FleetError('FLEET_PORT_IN_USE', `${label}port ${port} is already in use on ${host}${hint ? ` (${hint})` : ''}`);
  if (code === 'EACCES') return new FleetError('FLEET_PORT_DENIED', `no permission to listen on ${label}port ${port}`);
  return new FleetError('FLEET_BAD_INPUT', `cannot listen on ${label}${host}:${port}: ${message}`);
}
