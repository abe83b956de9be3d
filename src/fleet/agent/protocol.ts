// What a balancer and a node's agent say to each other over HTTP, typed once for both ends:
// the one write (PUT /list), the status and the event stream. Bodies are checked here, at
// the boundary, before anything acts on them.

/** The largest PUT /list body the agent reads: 250 members of 18 bytes is far below it. */
export const MAX_LIST_BODY_BYTES = 256 * 1024;
/** The most addresses a list may hold. */
export const MAX_LIST_IPS = 10_000;

export interface ListBody {
  /** Monotonic across the stack's balancers: a member never goes back to a lower one. */
  generation: number;
  ips: string[];
}

export interface MemberHolding {
  id: string;
  ip: string;
  /** The generation this member is known to serve; null before its first list. */
  generation: number | null;
}

/** PUT /list's answer: `converged` once every local member holds it, `partial` after the bounded wait, `stale` when not newer. */
export interface ListReply {
  outcome: 'converged' | 'partial' | 'stale';
  /** The generation the agent holds now. */
  generation: number;
  members: MemberHolding[];
}

export interface StatusReply {
  generation: number | null;
  members: MemberHolding[];
}

/** One line of GET /events. */
export interface AgentEvent {
  type: 'start' | 'die';
  id: string;
  ip: string;
  /** Milliseconds since the epoch, when the agent learnt it. */
  at: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: unknown): value is string {
  return typeof value === 'string' && IPV4.test(value);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** A PUT /list body: exactly `{generation, ips}`, a positive safe integer and distinct IPv4 addresses (what the members' reader accepts). */
export function parseListBody(text: string): Parsed<ListBody> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'the body is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'the body must be an object {generation, ips}' };
  const body = value as Record<string, unknown>;
  const extra = Object.keys(body).filter((key) => key !== 'generation' && key !== 'ips');
  if (extra.length) return { ok: false, error: `unknown field ${JSON.stringify(extra[0])}` };
  const { generation, ips } = body;
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) return { ok: false, error: 'generation must be an integer from 1 to 2^53-1' };
  if (!Array.isArray(ips)) return { ok: false, error: 'ips must be an array of IPv4 addresses' };
  if (ips.length > MAX_LIST_IPS) return { ok: false, error: `ips holds more than ${MAX_LIST_IPS} addresses` };
  const bad: unknown = ips.find((ip: unknown) => !isIpv4(ip));
  if (bad !== undefined) return { ok: false, error: `not an IPv4 address: ${JSON.stringify(bad).slice(0, 40)}` };
  if (new Set(ips).size !== ips.length) return { ok: false, error: 'ips holds an address twice' };
  return { ok: true, value: { generation, ips: ips as string[] } };
}

/** A list is pushed only when it is newer than the one held: several balancers push the same lists, and a member never goes back. */
export function isNewer(held: number | undefined, incoming: number): boolean {
  return held === undefined || incoming > held;
}
