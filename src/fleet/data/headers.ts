// Which headers cross the balancer. Hop-by-hop headers (RFC 9110 §7.6.1) and those a side
// names in Connection stay on their own connection, except the ones that frame, route or
// describe the request: a client naming Content-Length or X-Forwarded-For in Connection
// must not change what the member parses or believes.
import type { IncomingHttpHeaders } from 'node:http';
import type { ForwardedHeaders } from './forwarded.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/** Never dropped on a side's say-so in Connection. */
export const PROTECTED = new Set(['content-length', 'transfer-encoding', 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded']);

/** The header names a Connection header lists, lower case. */
export function connectionTokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = Array.isArray(value) ? value.join(',') : value;
  return text
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter(Boolean);
}

// Per request and per answer: no Set is built unless Connection names a header that is not
// hop-by-hop anyway (a plain `keep-alive` or `close` adds nothing).
function namedInConnection(headers: IncomingHttpHeaders): string[] | undefined {
  if (headers.connection === undefined) return undefined;
  const named = connectionTokens(headers.connection).filter((name) => !HOP_BY_HOP.has(name) && !PROTECTED.has(name));
  return named.length > 0 ? named : undefined;
}

export interface RequestHeaderOptions {
  /** A WebSocket handshake: Connection and Upgrade go through. */
  upgrade: boolean;
  /** The peer is a trusted proxy: its Forwarded header is kept. */
  trustedPeer: boolean;
}

/**
 * The headers a member receives. Expect is answered by the balancer itself (it reads the
 * body before it picks a member), and Forwarded from an untrusted client is a claim
 * nobody checked: neither is passed on.
 */
export function requestHeaders(client: IncomingHttpHeaders, forwarded: ForwardedHeaders, options: RequestHeaderOptions): IncomingHttpHeaders {
  const named = namedInConnection(client);
  const out: IncomingHttpHeaders = {};
  for (const name of Object.keys(client)) {
    if (HOP_BY_HOP.has(name) || name === 'expect' || (name === 'forwarded' && !options.trustedPeer) || named?.includes(name)) continue;
    out[name] = client[name];
  }
  Object.assign(out, forwarded);
  if (options.upgrade) {
    out.connection = 'upgrade';
    out.upgrade = client.upgrade;
  }
  return out;
}

/** Removes, in place, what a member's answer must not carry to the client. */
export function stripResponseHeaders(headers: IncomingHttpHeaders): void {
  const named = namedInConnection(headers);
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
  if (named) for (const name of named) delete headers[name];
}
