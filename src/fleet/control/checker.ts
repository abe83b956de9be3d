// Active health checks: a GET of each member's health path on an interval, with a
// timeout, fed into the MemberSet's state machine. A check that cannot even connect (refused,
// no route, or no connection within the timeout) counts as the balancer's own connection
// failures do: the member is down at once, and the requests it has not answered are retried
// elsewhere, instead of after `fall` checks (a lost node's members, whose kept-alive
// connections stay silent, held their requests that long).
import http from 'node:http';
import pLimit from 'p-limit';
import { HEALTH_CONCURRENCY } from '../config.js';
import { UNREACHABLE, codedError } from '../data/member-agent.js';
import type { MemberSet } from './members.js';

export interface CheckOptions {
  intervalMs: number;
  timeoutMs: number;
  path: string;
}

/** A check's outcome: a 2xx in time; anything else once connected; no connection at all. */
export type ProbeResult = 'up' | 'down' | 'unreachable';

/** One check: `up` for a 2xx answer within the timeout. */
export function probe(ip: string, port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port, path, agent: false, timeout: timeoutMs, headers: { 'user-agent': 'fleet-health' } }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? 'up' : 'down');
    });
    // As for the balancer's connect timeout (data/member-agent.ts): an answer that came in time
    // on a loop that turned late is seen before the timeout is believed.
    req.on('timeout', () =>
      setImmediate(() => {
        const connecting = !req.socket || req.socket.connecting;
        req.destroy(codedError(connecting ? 'FLEET_CONNECT_TIMEOUT' : 'FLEET_HEALTH_TIMEOUT', 'timeout'));
      }),
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(UNREACHABLE.has(error.code ?? '') ? 'unreachable' : 'down'));
  });
}

export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  /** Probes in flight at once: 250 members on a loaded host do not all wait on one event loop. */
  private readonly limit = pLimit(HEALTH_CONCURRENCY);
  /** A round still running when the next is due: the next is skipped, rounds never pile up. */
  private round: Promise<void> | undefined;

  constructor(
    private readonly members: MemberSet,
    private readonly options: CheckOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.round ??= this.checkAll().finally(() => (this.round = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async check(id: string): Promise<boolean> {
    const member = this.members.get(id);
    if (!member) return false;
    const result = await this.limit(() => probe(member.ip, member.port, this.options.path, this.options.timeoutMs));
    if (result === 'unreachable') this.members.reportUnreachable(id, 'active');
    else this.members.report(id, result === 'up');
    return result === 'up';
  }

  private async checkAll(): Promise<void> {
    const ids = this.members.list().filter((m) => m.state !== 'draining').map((m) => m.id);
    await Promise.all(ids.map((id) => this.check(id)));
  }
}
