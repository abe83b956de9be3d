// What one client may hold of the balancer: connections, time and bytes. Node's server
// enforces the header and request deadlines itself (checked every CHECK_INTERVAL_MS);
// the connection cap and the answers to broken requests are fleet's.
import http from 'node:http';
import type { Socket } from 'node:net';

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

const REASONS: Record<number, string> = {
  400: 'the request is malformed',
  408: 'the request did not arrive in time',
  413: 'the request body is too large',
  431: 'the request headers are too large',
  501: 'the request uses a feature the balancer does not implement',
  503: 'the balancer has too many connections',
};

/** A complete answer that closes the connection, for writing straight to a socket. */
export function rawAnswer(status: number, code: string, detail = REASONS[status] ?? ''): string {
  const body = `${status} ${http.STATUS_CODES[status] ?? ''}: ${detail} (${code})\n`;
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    (status === 503 ? 'Retry-After: 1\r\n' : '') +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** Ends a socket after an answer, and destroys it if the peer does not close within a second. */
export function closeAfter(socket: Socket, answer: string | undefined): void {
  if (answer && socket.writable) socket.end(answer);
  else socket.end();
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** Answers a request Node's parser rejected: 431, 408 or 400, then closes. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): string | undefined {
  const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || busy) {
    socket.destroy();
    return undefined;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const code = status === 408 ? 'FLEET_CLIENT_TIMEOUT' : status === 431 ? 'FLEET_HEADERS_TOO_LARGE' : 'FLEET_BAD_REQUEST';
  closeAfter(socket, rawAnswer(status, code));
  return code;
}
