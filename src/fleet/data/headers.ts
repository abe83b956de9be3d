// Which headers cross the balancer. Hop-by-hop headers (RFC 9110 §7.6.1) and those a side
// names in Connection stay on their own connection, except the ones that frame, route or
// describe the request: a client naming Content-Length or X-Forwarded-For in Connection
// must not change what the member parses or believes.
import type { IncomingHttpHeaders } from 'node:http';
import type { ForwardedHeaders } from './forwarded.js';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization'];

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

function droppable(headers: IncomingHttpHeaders): Set<string> {
  const drop = new Set(HOP_BY_HOP);
  for (const name of connectionTokens(headers.connection)) if (!PROTECTED.has(name)) drop.add(name);
  return drop;
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
  const drop = droppable(client);
  drop.add('expect');
  if (!options.trustedPeer) drop.add('forwarded');
  const out: IncomingHttpHeaders = {};
  for (const name of Object.keys(client)) {
    if (!drop.has(name)) out[name] = client[name];
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
  for (const name of droppable(headers)) delete headers[name];
}
