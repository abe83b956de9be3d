// Every answer the balancer writes itself, in one table (fastify's FST_ERR_* habit): its code,
// its status, whether the client is told when to come back, and its text. The body always
// reads `503 Service Unavailable: <text> (FLEET_…)`, so logs, tests and people match on the
// code. An answer goes out either through a ServerResponse (a request the balancer parsed)
// or as raw bytes on a socket that then closes (a parse error, CONNECT, an upgrade, a
// connection past the limit).
import http from 'node:http';
import type { Socket } from 'node:net';

/** What a shed, queued-out or turned-away client is told to wait before it tries again, in seconds. */
export const RETRY_AFTER_S = 1;

interface Spec<A extends unknown[]> {
  status: number;
  /** The answer carries `Retry-After`: the condition is expected to pass. */
  retry: boolean;
  text: (...args: A) => string;
}

function spec<A extends unknown[]>(status: number, retry: boolean, text: (...args: A) => string): Spec<A> {
  return { status, retry, text };
}

export const ANSWERS = {
  // The client's fault: its connection closes after the answer.
  FLEET_BAD_REQUEST: spec(400, false, () => 'the request is malformed'),
  FLEET_BAD_FRAMING: spec(400, false, (reason: string) => reason),
  FLEET_CLIENT_TIMEOUT: spec(408, false, () => 'the request did not arrive in time'),
  FLEET_BODY_TOO_LARGE: spec(413, false, (maxBytes: number) => `the request body exceeds ${maxBytes} bytes`),
  FLEET_HEADERS_TOO_LARGE: spec(431, false, () => 'the request headers are too large'),
  FLEET_UNSUPPORTED_CODING: spec(501, false, (reason: string) => reason),
  FLEET_METHOD_UNSUPPORTED: spec(501, false, () => 'CONNECT is not supported'),
  // The balancer's own limits.
  FLEET_TOO_MANY_CONNECTIONS: spec(503, true, (limit: number) => `the balancer holds its limit of ${limit} connections`),
  FLEET_OVERLOADED: spec(503, true, (fleet: string) => `the balancer of fleet "${fleet}" is overloaded; retry in ${RETRY_AFTER_S} s`),
  FLEET_QUEUE_FULL: spec(503, true, (fleet: string) => `every member of fleet "${fleet}" has a full queue`),
  FLEET_QUEUE_TIMEOUT: spec(503, true, (member: string) => `no connection to member ${member} became free in time`),
  // The members.
  FLEET_NO_MEMBER: spec(503, false, (fleet: string) => `fleet "${fleet}" has no healthy member`),
  FLEET_UPSTREAM_TIMEOUT: spec(504, false, (member: string) => `member ${member} did not answer in time`),
  FLEET_UPSTREAM_ERROR: spec(502, false, (member: string, error: string) => `member ${member} failed: ${error}`),
} as const;

export type AnswerCode = keyof typeof ANSWERS;
type Args<C extends AnswerCode> = Parameters<(typeof ANSWERS)[C]['text']>;

/** One answer of the balancer's own, ready to be written. */
export interface Answer {
  code: AnswerCode;
  status: number;
  retry: boolean;
  /** What went wrong, in words (for logs). */
  text: string;
  /** `<status> <reason phrase>: <text> (<code>)` and a newline. */
  body: string;
}

export function answer<C extends AnswerCode>(code: C, ...args: Args<C>): Answer {
  const { status, retry, text } = ANSWERS[code] as Spec<Args<C>>;
  const words = text(...args);
  return { code, status, retry, text: words, body: `${status} ${http.STATUS_CODES[status] ?? ''}: ${words} (${code})\n` };
}

/** Writes `answer` as the response to a parsed request; `close` ends the connection after it. */
export function writeAnswer(res: http.ServerResponse, answer: Answer, close: boolean): void {
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(answer.body), 'cache-control': 'no-store' };
  if (close) headers.connection = 'close';
  if (answer.retry) headers['retry-after'] = String(RETRY_AFTER_S);
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

/** `answer` as the bytes of a complete response that closes the connection, for writing straight to a socket. */
export function rawAnswer(answer: Answer): string {
  return (
    `HTTP/1.1 ${answer.status} ${http.STATUS_CODES[answer.status] ?? ''}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(answer.body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    (answer.retry ? `Retry-After: ${RETRY_AFTER_S}\r\n` : '') +
    'Connection: close\r\n\r\n' +
    answer.body
  );
}

/** Ends a socket after an answer, and destroys it if the peer does not close within a second. */
export function closeAfter(socket: Socket, answer: Answer | undefined): void {
  if (answer && socket.writable) socket.end(rawAnswer(answer));
  else socket.end();
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** The answer to a request Node's parser rejected (431, 408 or 400); undefined when none can be sent and the socket is cut. */
export function parseErrorAnswer(error: NodeJS.ErrnoException, socket: Socket): Answer | undefined {
  const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || busy) return undefined;
  if (error.code === 'HPE_HEADER_OVERFLOW') return answer('FLEET_HEADERS_TOO_LARGE');
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return answer('FLEET_CLIENT_TIMEOUT');
  return answer('FLEET_BAD_REQUEST');
}
