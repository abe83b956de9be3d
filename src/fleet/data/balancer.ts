// The L7 balancer: round robin over the members in rotation, on http-proxy with one
// keep-alive agent per member. Each of http-proxy's sharp edges is handled here:
// errors go to a per-request callback (never an unhandled 'error' that kills the
// process), connections are pooled, and a timeout answers 504 rather than 502.
import http from 'node:http';
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';
import type { Logger } from '../../log.js';
import type { Member, MemberSet } from './members.js';

export interface ProxyOptions {
  /** Time to open a connection to a member before trying the next one. */
  connectTimeoutMs: number;
  /** Time for a member to answer. */
  responseTimeoutMs: number;
  /** Attempts per request, counting the first. */
  maxAttempts: number;
  /** Named in the 503 body. */
  fleetName: string;
}

// Hop-by-hop headers (RFC 9110 §7.6.1): meaningful for one connection only.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization'];

// Errors that mean the member could not be reached at all: the request never left.
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'FLEET_CONNECT_TIMEOUT']);

const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Attempt {
  timedOut: boolean;
  connected: boolean;
}

const attempts = new WeakMap<http.IncomingMessage, Attempt>();

const FORWARDED = ['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-forwarded-host'];
// http-proxy appends to X-Forwarded-* in place; a retry starts from the client's own values.
const clientForwarded = new WeakMap<http.IncomingMessage, Record<string, string | string[] | undefined>>();

function restoreForwarded(req: http.IncomingMessage): void {
  const saved = clientForwarded.get(req);
  if (!saved) {
    const values: Record<string, string | string[] | undefined> = {};
    for (const name of FORWARDED) values[name] = req.headers[name];
    clientForwarded.set(req, values);
    return;
  }
  for (const name of FORWARDED) {
    if (saved[name] === undefined) delete req.headers[name];
    else req.headers[name] = saved[name];
  }
}

function stripHopByHop(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders, remove: (name: string) => void): void {
  const listed = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...listed]) remove(name);
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export class Balancer {
  readonly server: http.Server;
  private readonly proxy: httpProxy;
  private readonly agents = new Map<string, http.Agent>();
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly members: MemberSet,
    private readonly options: ProxyOptions,
    private readonly log: Logger,
  ) {
    this.proxy = httpProxy.createProxyServer({ xfwd: true, preserveHeaderKeyCase: true, proxyTimeout: options.responseTimeoutMs });
    // A safety net only: every request passes its own error callback.
    this.proxy.on('error', (error) => this.log.warn('proxy.error', { error: error.message }));
    this.proxy.on('proxyReq', (proxyReq, req) => this.prepare(proxyReq, req));
    this.proxy.on('proxyRes', (proxyRes, _req, res) => {
      stripHopByHop(proxyRes.headers, (name) => delete proxyRes.headers[name]);
      // http-proxy leaves the client waiting when a member dies mid-answer: cut it too.
      proxyRes.once('close', () => {
        if (!proxyRes.complete) res.destroy();
      });
    });
    this.server = http.createServer((req, res) => this.handle(req, res, new Set()));
    this.server.keepAliveTimeout = 65_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      if (socket.writable && error.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        this.server.on('error', (error) => this.log.error('balancer.error', { error: error.message }));
        resolve();
      });
    });
  }

  /** Stops accepting, lets requests in flight finish, then drops idle connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /** Drops the pooled connections of a member that is gone. */
  forget(id: string): void {
    this.agents.get(id)?.destroy();
    this.agents.delete(id);
  }

  destroy(): void {
    for (const id of [...this.agents.keys()]) this.forget(id);
    for (const socket of this.sockets) socket.destroy();
  }

  private agentFor(member: Member): http.Agent {
    let agent = this.agents.get(member.id);
    if (!agent) {
      agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 30_000, scheduling: 'lifo' });
      this.agents.set(member.id, agent);
    }
    return agent;
  }

  private prepare(proxyReq: http.ClientRequest, req: http.IncomingMessage): void {
    for (const name of proxyReq.getHeaderNames()) {
      if (HOP_BY_HOP.includes(name)) proxyReq.removeHeader(name);
    }
    stripHopByHop(req.headers, (name) => proxyReq.removeHeader(name));
    proxyReq.setHeader('connection', 'keep-alive');
    const attempt = attempts.get(req);
    proxyReq.once('timeout', () => {
      if (attempt) attempt.timedOut = true;
    });
    proxyReq.once('socket', (socket: Socket) => {
      if (!socket.connecting) {
        if (attempt) attempt.connected = true;
        return;
      }
      const timer = setTimeout(() => {
        const error = Object.assign(new Error('connect timeout'), { code: 'FLEET_CONNECT_TIMEOUT' });
        proxyReq.destroy(error);
      }, this.options.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        if (attempt) attempt.connected = true;
      });
      socket.once('close', () => clearTimeout(timer));
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, tried: Set<string>): void {
    const member = this.members.next(tried);
    if (!member) {
      this.reply(res, 503, `503 Service Unavailable: fleet "${this.options.fleetName}" has no healthy member (FLEET_NO_MEMBER)\n`);
      return;
    }
    tried.add(member.id);
    restoreForwarded(req);
    const attempt: Attempt = { timedOut: false, connected: false };
    attempts.set(req, attempt);
    this.members.acquire(member.id);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.members.release(member.id);
    };
    // 'finish' on a completed answer, 'close' on an aborted one (Node 10 emits only one).
    res.once('finish', release);
    res.once('close', release);

    this.proxy.web(req, res, { target: `http://${member.ip}:${member.port}`, agent: this.agentFor(member) }, (error: NodeJS.ErrnoException) => {
      release();
      res.off('finish', release);
      res.off('close', release);
      const code = error.code ?? 'EUNKNOWN';
      const unreachable = UNREACHABLE.has(code) && !attempt.connected;
      if (unreachable) this.members.reportUnreachable(member.id);
      else if (attempt.timedOut) this.members.report(member.id, false);

      if (res.headersSent || res.writableEnded || res.destroyed || req.socket.destroyed) {
        this.log.warn('proxy.abort', { member: member.name, error: code });
        res.destroy();
        return;
      }
      const retryable = !hasBody(req) && (RETRYABLE_METHODS.has(req.method ?? '') || unreachable);
      const another = this.members.rotation.some((m) => !tried.has(m.id));
      if (retryable && tried.size < this.options.maxAttempts && (another || unreachable)) {
        this.log.debug('proxy.retry', { member: member.name, error: code });
        this.handle(req, res, tried);
        return;
      }
      this.log.warn('proxy.fail', { member: member.name, error: code, timedOut: attempt.timedOut });
      if (attempt.timedOut) this.reply(res, 504, `504 Gateway Timeout: member ${member.name} did not answer in time (FLEET_UPSTREAM_TIMEOUT)\n`);
      else this.reply(res, 502, `502 Bad Gateway: member ${member.name} failed: ${code} (FLEET_UPSTREAM_ERROR)\n`);
    });
  }

  private reply(res: http.ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  }
}
