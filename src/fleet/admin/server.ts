// The admin listener: a plain HTTP server in the primary, apart from the balancer's port,
// for people and Prometheus. GET /metrics, /api/status, /api/events (the live feed) and /
// (the dashboard); anything else is 404, a method other than GET or HEAD 405.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FleetStatus } from '../control/types.js';
import { messageOf } from '../errors.js';
import { listenError } from '../listen-error.js';
import type { EventFeed } from './feed.js';
import type { FleetMetrics } from './metrics.js';

export type Route = 'metrics' | 'status' | 'events' | 'dashboard' | 'not-found' | 'method-not-allowed';

const PATHS: Record<string, Route> = { '/metrics': 'metrics', '/api/status': 'status', '/api/events': 'events', '/': 'dashboard' };

/** What a request asks for. */
export function route(method: string | undefined, url: string | undefined): Route {
  if (method !== 'GET' && method !== 'HEAD') return 'method-not-allowed';
  const path = (url ?? '/').split('?')[0];
  return PATHS[path] ?? 'not-found';
}

/** The dashboard loads nothing from outside the daemon. */
export const DASHBOARD_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:";

export interface AdminOptions {
  host: string;
  port: number;
}

export interface AdminParts {
  status(): FleetStatus;
  metrics: FleetMetrics;
  feed: EventFeed;
  /** The dashboard's HTML. */
  page: string;
  /** A bug while answering: logged, and the request gets a 500. */
  onBug?(error: unknown): void;
}

export class AdminServer {
  readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly options: AdminOptions,
    private readonly parts: AdminParts,
  ) {
    this.server = http.createServer((req, res) => {
      this.answer(req, res).catch((error: unknown) => {
        parts.onBug?.(error);
        if (!res.headersSent) text(res, 500, `500 Internal Server Error: ${messageOf(error)}\n`);
        else res.destroy();
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens; a port in use is a FleetError naming it. */
  listen(): Promise<void> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(listenError(error.code, error.message, { label: 'admin ', host, port, hint: 'choose another with --admin-port, or --no-admin' }));
      };
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        this.parts.feed.start();
        resolve();
      });
    });
  }

  /** The port it listens on (the one asked for, or the one given for 0). */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  close(): Promise<void> {
    this.parts.feed.stop();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    switch (route(req.method, req.url)) {
      case 'metrics': {
        const body = await this.parts.metrics.scrape();
        return send(res, 200, this.parts.metrics.contentType, body, head);
      }
      case 'status':
        return send(res, 200, 'application/json', JSON.stringify(this.parts.status()), head);
      case 'events':
        if (head) return send(res, 200, 'text/event-stream; charset=utf-8', '', true);
        return this.parts.feed.add(res);
      case 'dashboard':
        res.setHeader('content-security-policy', DASHBOARD_CSP);
        return send(res, 200, 'text/html; charset=utf-8', this.parts.page, head);
      case 'method-not-allowed':
        res.setHeader('allow', 'GET, HEAD');
        return text(res, 405, `405 Method Not Allowed: the admin listener answers GET and HEAD only\n`);
      case 'not-found':
        return text(res, 404, `404 Not Found: ${(req.url ?? '').split('?')[0]} (try /, /metrics, /api/status or /api/events)\n`);
    }
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(head ? undefined : body);
}

function text(res: http.ServerResponse, status: number, body: string): void {
  send(res, status, 'text/plain; charset=utf-8', body, false);
}
