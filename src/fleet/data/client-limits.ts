// What one client may hold of the balancer: connections, time and bytes. Node's server
// enforces the header and request deadlines itself (checked every CHECK_INTERVAL_MS);
// the connection cap (admission.ts) and the answers to broken requests (answers.ts) are fleet's.
import http from 'node:http';

export interface ClientLimits {
  /** Client connections open at once; one more is answered 503 and closed. */
  maxConnections: number;
  /** From a connection's first byte (or its accept) to a request's complete headers. */
  headerTimeoutMs: number;
  /** From the start of a request to its last body byte. */
  requestTimeoutMs: number;
  /** A kept-alive connection with no request in progress is closed after this. */
  idleTimeoutMs: number;
  /** All header lines of a request, in bytes; more is 431. */
  maxHeaderBytes: number;
  /** A request body, in bytes; more is 413. */
  maxBodyBytes: number;
}

/** How often Node checks the header and request deadlines. */
export const CHECK_INTERVAL_MS = 500;

export function serverOptions(limits: ClientLimits): http.ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headerTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: CHECK_INTERVAL_MS,
    // checkFraming refuses a missing Host itself, so what is pipelined behind it is dropped too.
    requireHostHeader: false,
    noDelay: true,
  };
}
