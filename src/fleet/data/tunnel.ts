// A WebSocket tunnel: the handshake goes to one member; if it answers 101 the two sockets are
// joined until either side closes, idles out or finishes sending. The member's refusal of
// the upgrade is relayed, then the connection ends; a failure before any answer (the member
// unreachable, no answer within the response timeout) gets the client a 502, then a close.
import type http from 'node:http';
import type { Socket } from 'node:net';
import { answer, rawAnswer } from './answers.js';
import { codedError } from './member-agent.js';
import type { MemberProxy } from './proxy.js';
import type { MemberAddress as Member } from './rotation.js';

/** An idle WebSocket tunnel is closed after this. */
export const TUNNEL_IDLE_MS = 3_600_000;
/** A tunnel one side has finished is closed after this. */
const TUNNEL_FIN_GRACE_MS = 1_000;

export interface TunnelOptions {
  proxy: MemberProxy;
  /** Time for the member to answer the handshake. */
  responseTimeoutMs: number;
  /** The handshake failed before an answer (the error is already answered to the client). */
  failed: (error: NodeJS.ErrnoException) => void;
}

/** Carries a handshake whose headers are settled to `member`, and joins the sockets if it upgrades. */
export function openTunnel(member: Member, req: http.IncomingMessage, socket: Socket, head: Buffer, options: TunnelOptions): void {
  let answered = false;
  const proxyReq = options.proxy.ws(member, req, socket, head, (error) => {
    options.failed(error);
    // http-proxy ends the socket right after this callback: the answer goes first.
    if (!answered && socket.writable) socket.write(rawAnswer(answer('FLEET_UPSTREAM_ERROR', member.name, error.code ?? error.message)));
    answered = true;
  });
  const timer = setTimeout(() => proxyReq.destroy(codedError('FLEET_UPSTREAM_TIMEOUT', 'no answer to the upgrade in time')), options.responseTimeoutMs);
  proxyReq.once('response', (res: http.IncomingMessage) => {
    // The member declined the upgrade: http-proxy relays its answer; then the connection ends.
    clearTimeout(timer);
    answered = true;
    res.once('end', () => socket.end());
    res.once('close', () => setTimeout(() => socket.destroy(), 1_000).unref());
  });
  proxyReq.once('upgrade', (_res: http.IncomingMessage, upstream: Socket) => {
    clearTimeout(timer);
    answered = true;
    join(socket, upstream);
  });
  proxyReq.once('close', () => clearTimeout(timer));
}

// Each side's end, close and idle time reach the other. One side finished sending: the other
// is told, and both go after a grace period (HAProxy's client-fin/server-fin), so a
// half-closed tunnel cannot linger.
function join(client: Socket, upstream: Socket): void {
  for (const [side, other] of [
    [client, upstream],
    [upstream, client],
  ]) {
    side.setTimeout(TUNNEL_IDLE_MS);
    side.once('timeout', () => side.destroy());
    side.once('close', () => other.destroy());
    side.once('end', () => {
      other.end();
      setTimeout(() => {
        side.destroy();
        other.destroy();
      }, TUNNEL_FIN_GRACE_MS).unref();
    });
  }
}
