// What the CLI and the daemon say to each other over the control socket: each route once,
// with its method, path, the validator of its request body and of its answer. The server
// checks every request with it, the client every answer, and TypeScript holds both ends to
// the same types: `Calls` is the table, `ROUTES` must match it.
import * as t from 'typanion';
import { CONTROL_TIMEOUT_MS, MAX_READY_TIMEOUT_MS, MAX_REPLICAS, ROLLOUT_CONTROL_TIMEOUT_MS, STATUS_TIMEOUT_MS } from '../../config.js';
import { FLEET_ERROR_CODES, type FleetErrorCode, INTERNAL_ERROR_CODE } from '../../errors.js';
import type { DownResult, FleetStatus, MemberStatus, ReloadResult, ReplacementStatus, RolloutResult, ScaleResult, WorkerStatus } from '../types.js';

export type { DownResult, FleetStatus, MemberStatus, ReloadResult, ReplacementStatus, RolloutResult, ScaleResult, WorkerStatus };

export interface ScaleRequest {
  /** Members to add (positive) or remove (negative), never 0: checked here, once, for every caller of the socket. */
  delta: number;
}

export interface RolloutRequest {
  /** The image to roll the members over to, as the engine names it (`fleet-nginx:2`, `registry/x@sha256:…`). */
  image: string;
  /** How long a new member may take to enter rotation before the rollout rolls back (ms). */
  readyTimeoutMs: number;
}

/** The body of a call that takes no arguments: `{}` or nothing at all. */
export type Empty = Record<string, never>;

export interface ErrorBody {
  error: string;
  code: FleetErrorCode | typeof INTERNAL_ERROR_CODE;
}

interface Calls {
  status: { request: Empty; response: FleetStatus };
  scale: { request: ScaleRequest; response: ScaleResult };
  down: { request: Empty; response: DownResult };
  reload: { request: Empty; response: ReloadResult };
  rollout: { request: RolloutRequest; response: RolloutResult };
}

export type RouteName = keyof Calls;
export type RequestOf<K extends RouteName> = Calls[K]['request'];
export type ResponseOf<K extends RouteName> = Calls[K]['response'];

export interface Route<Request, Response> {
  method: 'GET' | 'POST';
  path: string;
  request: t.StrictValidator<unknown, Request>;
  response: t.StrictValidator<unknown, Response>;
  /** How long the CLI waits for the answer. */
  timeoutMs: number;
}

/** What the daemon implements: one handler per route, typed by the table. */
export type Handlers = { [K in RouteName]: (body: RequestOf<K>) => Promise<ResponseOf<K>> };

// Requests are strict (an unknown field is refused); answers may carry fields a newer daemon
// adds, so an older CLI still reads them.
const answer = { extra: t.isUnknown() };

const noFields = t.isObject({});
const isEmpty = t.makeValidator<unknown, Empty>({ test: (value, state): value is Empty => noFields(value, state) });

// A scale of 0 changes nothing and would only wait for a settle: refused with the other bad bodies.
const isNonZero = t.makeValidator<number, number>({
  test: (value, state): value is number => {
    if (value !== 0) return true;
    state?.errors?.push(`${state.p ?? '.'}: expected a number of members other than 0 (got 0)`);
    return false;
  },
});

const isScaleRequest: t.StrictValidator<unknown, ScaleRequest> = t.isObject({
  delta: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(-MAX_REPLICAS, MAX_REPLICAS), isNonZero]),
});

/** An image reference as Docker takes one: name, optional registry and path, tag or digest. */
export const IMAGE_PATTERN = /^[a-z0-9][a-z0-9._/:-]*(@sha256:[a-f0-9]{64})?$/i;

const isRolloutRequest: t.StrictValidator<unknown, RolloutRequest> = t.isObject({
  image: t.cascade(t.isString(), [t.hasMaxLength(255), t.matchesRegExp(IMAGE_PATTERN)]),
  readyTimeoutMs: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1_000, MAX_READY_TIMEOUT_MS)]),
});

const isMemberStatus: t.StrictValidator<unknown, MemberStatus> = t.isObject(
  {
    id: t.isString(),
    name: t.isString(),
    ip: t.isString(),
    healthy: t.isBoolean(),
    state: t.isString(),
    inflight: t.isNumber(),
    inSync: t.isBoolean(),
    session: t.isEnum(['open', 'down'] as const),
    image: t.isOptional(t.isString()),
  },
  answer,
);

const isWorkerStatus: t.StrictValidator<unknown, WorkerStatus> = t.isObject(
  {
    slot: t.isNumber(),
    pid: t.isNumber(),
    state: t.isEnum(['starting', 'serving', 'retiring'] as const),
    requests: t.isNumber(),
    inflight: t.isNumber(),
    connections: t.isNumber(),
    restarts: t.isNumber(),
  },
  answer,
);

const isReloadResult: t.StrictValidator<unknown, ReloadResult> = t.isObject({ workers: t.isArray(isWorkerStatus) }, answer);

const isReplacementStatus: t.StrictValidator<unknown, ReplacementStatus> = t.isObject(
  { suspended: t.isNullable(t.isString()), since: t.isNullable(t.isNumber()), held: t.isNumber() },
  answer,
);

const isFleetStatus: t.StrictValidator<unknown, FleetStatus> = t.isObject(
  {
    name: t.isString(),
    desired: t.isNumber(),
    port: t.isNumber(),
    host: t.isString(),
    image: t.isString(),
    pid: t.isNumber(),
    members: t.isArray(isMemberStatus),
    workers: t.isArray(isWorkerStatus),
    replacement: t.isOptional(isReplacementStatus),
  },
  answer,
);

const isScaleResult: t.StrictValidator<unknown, ScaleResult> = t.isObject(
  { added: t.isArray(isMemberStatus), removed: t.isArray(isMemberStatus), status: isFleetStatus },
  answer,
);

const isRolloutResult: t.StrictValidator<unknown, RolloutResult> = t.isObject(
  { image: t.isString(), previous: t.isString(), started: t.isArray(isMemberStatus), removed: t.isArray(isMemberStatus), status: isFleetStatus },
  answer,
);

const isDownResult: t.StrictValidator<unknown, DownResult> = t.isObject({ removedContainers: t.isNumber(), removedNetwork: t.isBoolean() }, answer);

export const isErrorBody: t.StrictValidator<unknown, ErrorBody> = t.isObject(
  { error: t.isString(), code: t.isEnum<ErrorBody['code']>([...FLEET_ERROR_CODES, INTERNAL_ERROR_CODE]) },
  answer,
);

export const ROUTES: { [K in RouteName]: Route<RequestOf<K>, ResponseOf<K>> } = {
  status: { method: 'GET', path: '/status', request: isEmpty, response: isFleetStatus, timeoutMs: STATUS_TIMEOUT_MS },
  scale: { method: 'POST', path: '/scale', request: isScaleRequest, response: isScaleResult, timeoutMs: CONTROL_TIMEOUT_MS },
  down: { method: 'POST', path: '/down', request: isEmpty, response: isDownResult, timeoutMs: CONTROL_TIMEOUT_MS },
  reload: { method: 'POST', path: '/reload', request: isEmpty, response: isReloadResult, timeoutMs: CONTROL_TIMEOUT_MS },
  rollout: { method: 'POST', path: '/rollout', request: isRolloutRequest, response: isRolloutResult, timeoutMs: ROLLOUT_CONTROL_TIMEOUT_MS },
};

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Runs a validator; a failure reads `delta: expected a number (got "x")`, naming the field. */
export function check<T>(validator: t.StrictValidator<unknown, T>, value: unknown): Checked<T> {
  const errors: string[] = [];
  if (validator(value, { errors })) return { ok: true, value };
  const problem = errors.map((e) => e.replace(/^\.: /, 'the body: ').replace(/^\./, '').replace(/: ([A-Z])/, (_, c: string) => `: ${c.toLowerCase()}`)).join('; ');
  return { ok: false, problem: problem || 'unexpected value' };
}
