// The connection pool to one member: keep-alive sockets and a connect timeout. How many
// requests a member gets at once is the balancer's gate (gate.ts), not this pool's queue:
// a request waiting in Node's agent queue has no socket, and cannot be timed out or failed
// until one frees. Because the agent sees each outgoing request as it is created, it also
// hands the balancer that request, whatever http-proxy's hooks skip.
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

export interface MemberAgentOptions {
  /** Time to open a connection to the member. */
  connectTimeoutMs: number;
  /** Pooled connections; off for WebSocket tunnels, which never return to a pool. */
  keepAlive: boolean;
  /**
   * Idle connections kept: as many as the gate lets the member have at once. Fewer, and a
   * saturated balancer closes and reopens connections by the hundred a second: a loop turn
   * frees a batch of them at once, and all past this bound were closed, to be opened again
   * for the requests the gate lets through next (750 connects a second in one worker under
   * 2000 busy clients, with 64).
   */
  maxIdle: number;
}

/** Connection failures that say a member cannot be reached: the balancer's and the health checks' alike. */
export const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'FLEET_CONNECT_TIMEOUT']);

export function codedError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

// Agent internals we rely on (stable since Node 0.x, what agent-base and proxy agents override).
interface AgentInternals {
  addRequest(req: http.ClientRequest, options: http.RequestOptions): void;
}

export class MemberAgent extends http.Agent {
  private claimant: ((req: http.ClientRequest) => void) | undefined;

  constructor(private readonly limits: MemberAgentOptions) {
    super({ keepAlive: limits.keepAlive, maxFreeSockets: limits.maxIdle, timeout: 30_000, scheduling: 'lifo' });
  }

  /** Runs `send`, which must create one request through this agent, and returns that request. */
  capture(send: () => void): http.ClientRequest | undefined {
    let captured: http.ClientRequest | undefined;
    this.claimant = (req) => (captured = req);
    try {
      send();
    } finally {
      this.claimant = undefined;
    }
    return captured;
  }

  addRequest(req: http.ClientRequest, options: http.RequestOptions): void {
    const claimant = this.claimant;
    this.claimant = undefined;
    claimant?.(req);
    (http.Agent.prototype as unknown as AgentInternals).addRequest.call(this, req, options);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    void callback;
    const socket = net.createConnection(options as net.NetConnectOpts);
    // Timers run before I/O in an event-loop turn: on a loop that ran late (a busy or starved
    // worker), a connection made in time would be timed out before its 'connect' is seen. The
    // I/O gets its turn first; only a socket still connecting after it has timed out.
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (socket.connecting) socket.destroy(codedError('FLEET_CONNECT_TIMEOUT', `no connection to the member within ${this.limits.connectTimeoutMs} ms`));
        }),
      this.limits.connectTimeoutMs,
    );
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
    return socket;
  }
}
