// Active health checks: a GET of each member's health path on an interval, with a
// timeout, fed into the MemberSet's state machine.
import http from 'node:http';
import pLimit from 'p-limit';
import { HEALTH_CONCURRENCY } from '../config.js';
import type { MemberSet } from './members.js';

export interface CheckOptions {
  intervalMs: number;
  timeoutMs: number;
  path: string;
}

/** One check: true for a 2xx answer within the timeout. */
export function probe(ip: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port, path, agent: false, timeout: timeoutMs, headers: { 'user-agent': 'fleet-health' } }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
    });
    // As for the balancer's connect timeout (data/member-agent.ts): an answer that came in time
    // on a loop that turned late is seen before the timeout is believed.
    req.on('timeout', () => setImmediate(() => req.destroy(new Error('timeout'))));
    req.on('error', () => resolve(false));
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
    const ok = await this.limit(() => probe(member.ip, member.port, this.options.path, this.options.timeoutMs));
    this.members.report(id, ok);
    return ok;
  }

  private async checkAll(): Promise<void> {
    const ids = this.members.list().filter((m) => m.state !== 'draining').map((m) => m.id);
    await Promise.all(ids.map((id) => this.check(id)));
  }
}
