// How a balancer proves it holds the stack's secret without sending it: an HMAC-SHA256 of
// the request (time, method, path, body) under the shared secret, in the Authorization
// header. The secret never crosses the network (an unencrypted overlay shows requests to
// anyone on it); a signature is good for one route and body, and only within a window, so a
// captured request cannot be replayed later. A replay inside the window is harmless: the
// write it repeats is a list generation the agent already holds.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const AUTH_SCHEME = 'Fleet-HMAC-SHA256';
/** How far a request's time may be from the agent's clock, either way. */
export const AUTH_WINDOW_MS = 30_000;
/** A secret shorter than this is refused at start. */
export const MIN_SECRET_BYTES = 16;

export interface Signed {
  method: string;
  path: string;
  body: Buffer | string;
}

function mac(secret: Buffer | string, at: number, request: Signed): string {
  return createHmac('sha256', secret).update(`${at}\n${request.method.toUpperCase()}\n${request.path}\n`).update(request.body).digest('hex');
}

/** The Authorization header for a request, as a balancer sends it. */
export function authorization(secret: Buffer | string, request: Signed, now = Date.now()): string {
  return `${AUTH_SCHEME} ${now}:${mac(secret, now, request)}`;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** The header's shape and time, checked before the body is read. */
export function checkHeader(header: string | undefined, now: number): Verdict & { at?: number; signature?: string } {
  const match = header ? new RegExp(`^${AUTH_SCHEME} (\\d{1,16}):([0-9a-f]{64})$`).exec(header.trim()) : null;
  if (!match) return { ok: false, reason: `missing or malformed Authorization (want "${AUTH_SCHEME} <ms>:<hex>")` };
  const at = Number(match[1]);
  if (Math.abs(now - at) > AUTH_WINDOW_MS) return { ok: false, reason: `the signature's time is more than ${AUTH_WINDOW_MS / 1000} s away from this node's clock` };
  return { ok: true, at, signature: match[2] };
}

/** The whole check, in constant time over the signature. */
export function verify(secret: Buffer | string, header: string | undefined, request: Signed, now = Date.now()): Verdict {
  const shape = checkHeader(header, now);
  if (!shape.ok || shape.at === undefined || shape.signature === undefined) return shape.ok ? { ok: false, reason: 'malformed Authorization' } : shape;
  const expected = Buffer.from(mac(secret, shape.at, request), 'hex');
  const given = Buffer.from(shape.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'wrong signature' };
  return { ok: true };
}

/** The secret file's content: a trailing newline (echo's) is not part of it. */
export function parseSecret(content: Buffer): { ok: true; value: Buffer } | { ok: false; error: string } {
  let end = content.length;
  while (end > 0 && (content[end - 1] === 0x0a || content[end - 1] === 0x0d)) end--;
  const secret = content.subarray(0, end);
  if (secret.length < MIN_SECRET_BYTES) return { ok: false, error: `the secret must be at least ${MIN_SECRET_BYTES} bytes (got ${secret.length})` };
  return { ok: true, value: secret };
}
