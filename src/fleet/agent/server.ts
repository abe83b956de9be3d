// The agent's HTTP listener: one write (PUT /list), two reads (GET /status, GET /events),
// every one signed with the stack's secret (auth.ts), and nothing else. Routes are matched
// first (404, 405), then the signature's shape and time (401) before any body is read,
// then the body within its cap (413) and its signature (401), then its content (400).
import http from 'node:http';
import type { Logger } from '../../log.js';
import { AUTH_SCHEME, checkHeader, verify } from './auth.js';
import { type AgentEvent, type ListBody, type ListReply, MAX_LIST_BODY_BYTES, type StatusReply, parseListBody } from './protocol.js';

/** What the listener asks of the agent. */
export interface AgentApi {
  offer(list: ListBody): Promise<ListReply>;
  status(): StatusReply;
  subscribe(listener: (event: AgentEvent) => void): () => void;
}

export type AgentErrorCode = 'AGENT_NOT_FOUND' | 'AGENT_METHOD_NOT_ALLOWED' | 'AGENT_UNAUTHORIZED' | 'AGENT_TOO_LARGE' | 'AGENT_BAD_REQUEST' | 'AGENT_INTERNAL';

const ROUTES: Record<string, 'GET' | 'PUT'> = { '/list': 'PUT', '/status': 'GET', '/events': 'GET' };
/** GET bodies are signed too (empty in practice); a few bytes at most. */
const MAX_GET_BODY_BYTES = 1024;
/** An empty line on /events this often: a dead reader is noticed, an idle proxy keeps the stream. */
export const HEARTBEAT_MS = 15_000;

export interface ServerOptions {
  secret: Buffer;
  now?: () => number;
  heartbeatMs?: number;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function readBody(req: http.IncomingMessage, cap: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > cap) return Promise.reject(new Refusal(413, 'AGENT_TOO_LARGE', `the body is over ${cap} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        reject(new Refusal(413, 'AGENT_TOO_LARGE', `the body is over ${cap} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function createAgentServer(api: AgentApi, log: Logger, options: ServerOptions): http.Server {
  const now = options.now ?? Date.now;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const pathname = url.split('?')[0];
    const method = req.method ?? '';
    const route = Object.hasOwn(ROUTES, pathname) ? ROUTES[pathname] : undefined;
    if (!route) throw new Refusal(404, 'AGENT_NOT_FOUND', `no route ${pathname.slice(0, 100)}`);
    if (method !== route) throw new Refusal(405, 'AGENT_METHOD_NOT_ALLOWED', `${pathname} takes ${route} only`);
    const header = checkHeader(req.headers.authorization, now());
    if (!header.ok) throw new Refusal(401, 'AGENT_UNAUTHORIZED', header.reason);
    const body = await readBody(req, route === 'PUT' ? MAX_LIST_BODY_BYTES : MAX_GET_BODY_BYTES);
    const verdict = verify(options.secret, req.headers.authorization, { method, path: url, body }, now());
    if (!verdict.ok) throw new Refusal(401, 'AGENT_UNAUTHORIZED', verdict.reason);

    if (pathname === '/list') {
      const parsed = parseListBody(body.toString('utf8'));
      if (!parsed.ok) throw new Refusal(400, 'AGENT_BAD_REQUEST', parsed.error);
      send(res, 200, await api.offer(parsed.value));
    } else if (pathname === '/status') {
      send(res, 200, api.status());
    } else {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      res.flushHeaders();
      const unsubscribe = api.subscribe((event) => res.write(JSON.stringify(event) + '\n'));
      const heartbeat = setInterval(() => res.write('\n'), heartbeatMs);
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
      });
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof Refusal) {
        if (error.status === 401) log.warn('agent.refused', { from: req.socket.remoteAddress ?? '', route: (req.url ?? '').slice(0, 100), reason: error.message });
        send(res, error.status, { code: error.code, error: error.message }, {
          ...(error.status === 401 ? { 'www-authenticate': AUTH_SCHEME } : {}),
          ...(error.status === 405 ? { allow: ROUTES[(req.url ?? '').split('?')[0]] } : {}),
          ...(error.status === 413 ? { connection: 'close' } : {}),
        });
        return;
      }
      log.error('bug.agent_request', { error: error instanceof Error ? error : String(error) });
      send(res, 500, { code: 'AGENT_INTERNAL', error: error instanceof Error ? error.message.split('\n')[0] : 'internal error' });
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 50;
  server.maxConnections = 512;
  return server;
}
