// What the daemon's primary (the control plane) and its balancer workers (the data plane)
// say to each other over the cluster IPC channel: each message typed once here and checked
// at the receiving end, as the control socket's routes are.
import * as t from 'typanion';
import type { BalancerOptions } from './balancer.js';
import { CODE_CLASSES, DURATION_BUCKETS, type RequestFigures } from './request-stats.js';
import type { RotationSnapshot } from './rotation.js';

/** How a worker is configured: one JSON value in its environment (FLEET_WORKER_CONFIG). */
export interface WorkerConfig {
  balancer: BalancerOptions;
  port: number;
  host: string;
  log: { level: string; format: 'text' | 'json' };
  /** Requests in flight may take this long to finish when a worker is retired; then it exits anyway. */
  drainTimeoutMs: number;
  /** The access log's file, `-` for stdout; unset, none is written. Lines in `log.format`. */
  accessLog?: string;
}

export type ToWorker =
  /** The members to balance over, as of `snapshot.version`. */
  | { t: 'rotation'; snapshot: RotationSnapshot }
  /** Stop accepting, finish what is in flight, exit (a rolling restart or shutdown). */
  | { t: 'retire' }
  /** Sent with a copy of the worker's listening socket: accept on it too (EXTRA_ACCEPTORS). */
  | { t: 'acceptor' };

export interface Beat {
  t: 'beat';
  /** The newest snapshot the worker has applied. */
  version: number;
  /** Requests in flight per member (members with none left out). */
  inflight: Record<string, number>;
  /** Requests received since the worker started. */
  requests: number;
  /** Client connections open now. */
  connections: number;
}

export type FromWorker =
  /** Listening for messages: the primary answers with the current rotation. */
  | { t: 'ready' }
  | { t: 'listening' }
  /** Sent with the worker's listening socket: the primary sends it back as EXTRA_ACCEPTORS copies. */
  | { t: 'share' }
  | { t: 'listen-failed'; code: string; message: string }
  /** Sent every BEAT_MS and at once after a snapshot or a drained member: proof of life and load. */
  | Beat
  /** A passive failure: the member was unreachable, or did not answer in time. */
  | { t: 'failure'; id: string; unreachable: boolean }
  /** The requests answered since the last report, sent with a beat when there were some. */
  | ({ t: 'requests' } & RequestFigures);

export const BEAT_MS = 250;

const isAddress = t.isObject({ id: t.isString(), name: t.isString(), ip: t.isString(), port: t.isNumber() });
const isSnapshot = t.isObject({ version: t.isNumber(), members: t.isArray(isAddress), known: t.isArray(t.isString()), down: t.isArray(t.isString()) });

const isCount = t.cascade(t.isNumber(), [t.isAtLeast(0)]);
const isMemberFigures = t.isObject({
  codes: t.cascade(t.isArray(isCount), [t.hasExactLength(CODE_CLASSES.length)]),
  buckets: t.cascade(t.isArray(isCount), [t.hasExactLength(DURATION_BUCKETS.length + 1)]),
  sum: isCount,
});

const isToWorkerMessage = t.isOneOf([t.isObject({ t: t.isLiteral('rotation'), snapshot: isSnapshot }), t.isObject({ t: t.isLiteral('retire') }), t.isObject({ t: t.isLiteral('acceptor') })], { exclusive: true });

const isFromWorkerMessage = t.isOneOf(
  [
    t.isObject({ t: t.isLiteral('ready') }),
    t.isObject({ t: t.isLiteral('listening') }),
    t.isObject({ t: t.isLiteral('share') }),
    t.isObject({ t: t.isLiteral('listen-failed'), code: t.isString(), message: t.isString() }),
    t.isObject({ t: t.isLiteral('beat'), version: t.isNumber(), inflight: t.isRecord(t.isNumber()), requests: t.isNumber(), connections: t.isNumber() }),
    t.isObject({ t: t.isLiteral('failure'), id: t.isString(), unreachable: t.isBoolean() }),
    t.isObject({ t: t.isLiteral('requests'), retries: isCount, members: t.isRecord(isMemberFigures) }),
  ],
  { exclusive: true },
);

/** A socket handle that came with a message (the second argument of 'message'). */
export interface Handle {
  close(): void;
}

/** Whether what came with a message is a handle: a message may come without one, or with something else. */
export function isHandle(value: unknown): value is Handle {
  return typeof value === 'object' && value !== null && typeof (value as { close?: unknown }).close === 'function';
}

export function isToWorker(value: unknown): value is ToWorker {
  return isToWorkerMessage(value);
}

export function isFromWorker(value: unknown): value is FromWorker {
  return isFromWorkerMessage(value);
}
