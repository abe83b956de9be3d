// The balancer's worker processes as both daemons run them (one host, and Swarm mode): the
// same front door, limits and hooks whichever control plane feeds the members.
import type { Logger } from '../log.js';
import type { FleetMetrics } from './admin/metrics.js';
import { MAX_ATTEMPTS, MIN_CONNECT_TIMEOUT_MS, WORKER_HANG_MS } from './config.js';
import { MemberSet } from './control/members.js';
import { shortId } from './names.js';
import { WorkerPool } from './control/workers.js';
import type { UpstreamLimits } from './data/balancer.js';
import type { ClientLimits } from './data/client-limits.js';

export interface BalancerOptions {
  workers: number;
  healthTimeoutMs: number;
  drainTimeoutMs: number;
  port: number;
  host: string;
  client: Omit<ClientLimits, 'maxConnections'>;
  upstream: Omit<UpstreamLimits, 'connectTimeoutMs' | 'maxAttempts'>;
  trustedProxies: readonly string[];
  log: { level: string; format: 'text' | 'json' };
  accessLog?: string;
}

/**
 * The member set both daemons keep: every state change logged as `member.state`, and a member
 * out of rotation for its health counted as an ejection (a death is counted as a replacement
 * instead).
 */
export function loggedMembers(health: { rise: number; fall: number }, log: Logger, metrics: Pick<FleetMetrics, 'ejected'>): MemberSet {
  const members: MemberSet = new MemberSet(health, (t) => {
    const member = members.get(t.id);
    log.info('member.state', { member: member?.name ?? shortId(t.id), ip: member?.ip, from: t.from, to: t.to, cause: t.cause });
    if (t.from === 'up' && t.to === 'down' && (t.cause === 'active' || t.cause === 'passive')) metrics.ejected(t.cause);
  });
  return members;
}

/** A worker pool serving `members` as `fleetName`, each worker holding `perWorker` client connections at most. */
export function balancerWorkers(members: MemberSet, options: BalancerOptions, fleetName: string, perWorker: number, log: Logger, metrics: Pick<FleetMetrics, 'workerRequests' | 'workerRestarted'>): WorkerPool {
  return new WorkerPool(
    members,
    {
      count: options.workers,
      hangMs: WORKER_HANG_MS,
      config: {
        balancer: {
          fleetName,
          client: { ...options.client, maxConnections: perWorker },
          upstream: { ...options.upstream, connectTimeoutMs: Math.max(MIN_CONNECT_TIMEOUT_MS, options.healthTimeoutMs), maxAttempts: MAX_ATTEMPTS },
          trustedProxies: options.trustedProxies,
        },
        port: options.port,
        host: options.host,
        log: options.log,
        drainTimeoutMs: options.drainTimeoutMs,
        accessLog: options.accessLog,
      },
    },
    log,
    { requests: (figures) => metrics.workerRequests(figures), restarted: (reason) => metrics.workerRestarted(reason) },
  );
}
