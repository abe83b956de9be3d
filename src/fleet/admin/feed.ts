// The live feed of /api/events: a status event every second (and at once on connect) with
// the fleet's state and its request rates over the last seconds, and the notable log
// events as they happen, the last ones replayed on connect. A client that does not keep up
// (its unsent events pile up) is dropped; it reconnects by itself.
import type { ServerResponse } from 'node:http';
import type { FleetStatus } from '../control/types.js';
import type { LogFeed } from './log-feed.js';
import { type Rate, RecentRates } from './recent.js';
import type { RequestTotals } from './request-totals.js';
import { SSE_PREAMBLE, sseMessage } from './sse.js';

export interface StatusEvent {
  time: string;
  status: FleetStatus;
  totals: Rate & { inflight: number; requests: number };
  /** By member id. */
  members: Record<string, Rate>;
}

/** Unsent bytes a client may have before it is dropped. */
const MAX_BACKLOG = 1024 * 1024;
const IDLE: Rate = { rps: 0, p50: null, p99: null };

/** The status event from the fleet's status and the recent rates (by member name). */
export function statusEvent(time: Date, status: FleetStatus, rates: { totals: Rate; members: Record<string, Rate> }, requests: number): StatusEvent {
  const members: Record<string, Rate> = {};
  let inflight = 0;
  for (const m of status.members) {
    members[m.id] = rates.members[m.name] ?? IDLE;
    inflight += m.inflight;
  }
  return { time: time.toISOString(), status, totals: { ...rates.totals, inflight, requests }, members };
}

export class EventFeed {
  private readonly clients = new Set<ServerResponse>();
  private readonly rates: RecentRates;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly status: () => FleetStatus,
    private readonly totals: RequestTotals,
    private readonly logs: LogFeed,
    private readonly intervalMs = 1_000,
  ) {
    this.rates = new RecentRates(totals);
  }

  start(): void {
    this.rates.sample();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.unsubscribe = this.logs.onEntry((entry) => this.broadcast(sseMessage('log', entry)));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    for (const res of this.clients) res.destroy();
    this.clients.clear();
  }

  /** Takes a client: the stream stays open until it goes or the feed stops. */
  add(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(SSE_PREAMBLE);
    res.write(this.statusMessage());
    for (const entry of this.logs.recent()) res.write(sseMessage('log', entry));
    this.clients.add(res);
    res.once('close', () => this.clients.delete(res));
  }

  get size(): number {
    return this.clients.size;
  }

  private tick(): void {
    this.rates.sample();
    if (this.clients.size > 0) this.broadcast(this.statusMessage());
  }

  private statusMessage(): string {
    return sseMessage('status', statusEvent(new Date(), this.status(), this.rates.rates(), this.totals.all.count));
  }

  private broadcast(message: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BACKLOG) {
        res.destroy();
        this.clients.delete(res);
      } else res.write(message);
    }
  }
}
