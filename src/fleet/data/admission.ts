// Which client connections the balancer takes. Up to the limit each is held and counted;
// past it a client is told so (503) and closed, not left waiting, and nothing it sends on
// that connection is served. A flood past the limit must not turn into as many lingering
// sockets: beyond LINGER_MAX of them still closing, the next is cut at once.
import type { Socket } from 'node:net';
import type { Logger } from '../../log.js';
import { answer, closeAfter } from './answers.js';

/** Connections past the limit still being answered and closed, at most. */
export const LINGER_MAX = 1_000;
/** The warning about connections past the limit is logged at most this often. */
const LOG_EVERY_MS = 10_000;

export class Admission {
  private readonly open = new Set<Socket>();
  private readonly overLimit = new WeakSet<Socket>();
  private lingering = 0;
  private lastWarning = 0;
  /** Connections turned away since the start. */
  turnedAway = 0;

  constructor(
    private readonly maxConnections: number,
    private readonly log: Logger,
  ) {}

  /** Client connections held now. */
  get connections(): number {
    return this.open.size;
  }

  /** Takes a new connection, or answers it 503 and closes it; false when it was turned away. */
  admit(socket: Socket): boolean {
    if (this.open.size < this.maxConnections) {
      this.open.add(socket);
      socket.once('close', () => this.open.delete(socket));
      return true;
    }
    this.overLimit.add(socket);
    this.turnedAway++;
    if (this.lingering >= LINGER_MAX) {
      socket.destroy();
    } else {
      this.lingering++;
      socket.once('close', () => this.lingering--);
      closeAfter(socket, answer('FLEET_TOO_MANY_CONNECTIONS', this.maxConnections));
    }
    const now = Date.now();
    if (now - this.lastWarning >= LOG_EVERY_MS) {
      this.lastWarning = now;
      this.log.warn('client.refused', { reason: 'connection limit', limit: this.maxConnections, refusedSoFar: this.turnedAway });
    }
    return false;
  }

  /** The connection was turned away: whatever it sent is dropped. */
  isTurnedAway(socket: Socket): boolean {
    return this.overLimit.has(socket);
  }

  /** Cuts every connection held. */
  destroyAll(): void {
    for (const socket of this.open) socket.destroy();
  }
}
