// What the CLI and the daemon say to each other over the control socket.

export interface MemberStatus {
  id: string;
  name: string;
  ip: string;
  healthy: boolean;
  state: string;
  inflight: number;
  /** The member holds the fleet's current list. */
  inSync: boolean;
}

export interface FleetStatus {
  name: string;
  desired: number;
  port: number;
  host: string;
  image: string;
  pid: number;
  members: MemberStatus[];
}

export interface ScaleResult {
  added: MemberStatus[];
  removed: MemberStatus[];
  status: FleetStatus;
}

export interface DownResult {
  removedContainers: number;
  removedNetwork: boolean;
}

export interface ErrorBody {
  error: string;
  code: string;
}
