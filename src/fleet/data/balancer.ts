// The L7 balancer: round robin over the members in rotation, on http-proxy with one pool
// per member. A request is checked (framing, size), its headers are settled and its body
// read before a member is picked; only then does http-proxy carry it. Each of http-proxy's
// sharp edges is handled here: no pass may change a request's framing (its deleteLength
// pass is removed), errors go to a per-attempt callback (never an unhandled 'error' that
// kills the process), connections are pooled, and timeouts are fleet's own (504, not 502).
import http from 'node:http';
import net, { type Socket } from 'node:net';
import type { Url } from 'node:url';
import { PassThrough, type Readable } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Logger } from '../../log.js';
import { type Body, readBody } from './body.js';
import { type ClientLimits, answerClientError, closeAfter, rawAnswer, serverOptions } from './client-limits.js';
import { checkFraming } from './framing.js';
import { Pipeline } from './pipeline.js';
import { TrustedProxies, forwardedHeaders } from './forwarded.js';
import { connectionTokens, requestHeaders, stripResponseHeaders } from './headers.js';
import { Gate } from './gate.js';
import { Shedder } from './shed.js';
import { MemberAgent, codedError } from './member-agent.js';
import type { RequestObserver } from './request-stats.js';
import type { RequestDone } from './request-done.js';
import type { MemberAddress as Member, Rotation } from './rotation.js';

export interface UpstreamLimits {
  /** Time to open a connection to a member before trying the next one. */
  connectTimeoutMs: number;
  /** Time for a member to start answering; also the longest pause while an answer streams. */
  responseTimeoutMs: number;
  /** Requests one member handles at once (each on its own connection). */
  memberConnections: number;
  /** Requests waiting for a connection to one member at most; a full member is skipped. */
  queueSize: number;
  /**
   * Time a request may wait for a connection to its member; also the bound of the wait for
   * the balancer itself: past it, the request is shed (503 with Retry-After).
   */
  queueTimeoutMs: number;
  /** Attempts per request, counting the first. */
  maxAttempts: number;
}

export interface BalancerOptions {
  /** Named in the 503 body. */
  fleetName: string;
  client: ClientLimits;
  upstream: UpstreamLimits;
  /** Addresses or CIDRs of proxies in front of fleet whose X-Forwarded-* are kept. */
  trustedProxies: readonly string[];
}

/** The kernel caps it at net.core.somaxconn. */
const LISTEN_BACKLOG = 4_096;
/** What a shed or queued-out client is told to wait before it tries again, in seconds. */
export const RETRY_AFTER_S = 1;

/** An idle WebSocket tunnel is closed after this. */
export const TUNNEL_IDLE_MS = 3_600_000;
/** A tunnel one side has finished is closed after this. */
const TUNNEL_FIN_GRACE_MS = 1_000;

// The request never reached the member: safe to send again, whatever its method.
const NEVER_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'FLEET_CONNECT_TIMEOUT', 'FLEET_QUEUE_TIMEOUT']);
// ...and of those, the ones that say the member is unreachable (a full queue says it is busy).
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'FLEET_CONNECT_TIMEOUT']);
// Sent, failed before an answer: sent again only when the method is safe (RFC 9110 §9.2.1).
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** One client request, across the attempts it takes. */
interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  method: string;
  body: Body;
  tried: Set<string>;
  attempts: number;
  /** The member of the latest attempt. */
  member: Member | undefined;
}

/** One try of an exchange on one member. */
interface Attempt {
  member: Member;
  settled: boolean;
  responded: boolean;
  timedOut: boolean;
}

export class Balancer {
  readonly server: http.Server;
  private readonly proxy: httpProxy;
  private readonly agents = new Map<string, MemberAgent>();
  private readonly tunnelAgents = new Map<string, MemberAgent>();
  private readonly targets = new Map<string, Partial<Url>>();
  private readonly sockets = new Set<Socket>();
  private readonly refused = new WeakSet<Socket>();
  private readonly pipeline = new Pipeline();
  private readonly trusted: TrustedProxies;
  private readonly gate: Gate<Exchange>;
  private readonly shedder: Shedder;
  private refusing = 0;
  private closing = false;
  private lastRefusalLog = 0;
  /** Counts of what the balancer turned away, by code; read by status and metrics. */
  readonly rejected = new Map<string, number>();
  /** Requests received since it started. */
  requests = 0;
  /** Called once per finished request when set (the access log); unset costs nothing. */
  onRequestDone: ((info: RequestDone) => void) | undefined;
  private readonly servedBy = new WeakMap<http.ServerResponse, string>();

  constructor(
    private readonly members: Rotation,
    private readonly options: BalancerOptions,
    private readonly log: Logger,
    private readonly observer?: RequestObserver,
  ) {
    this.trusted = new TrustedProxies(options.trustedProxies);
    this.gate = new Gate({ active: options.upstream.memberConnections, waiting: options.upstream.queueSize, timeoutMs: options.upstream.queueTimeoutMs });
    this.shedder = new Shedder(options.upstream.queueTimeoutMs);
    this.proxy = httpProxy.createProxyServer({ xfwd: false, preserveHeaderKeyCase: true });
    // deleteLength turns a chunked DELETE or OPTIONS into `content-length: 0` and still
    // pipes the body, which the member then reads as a second request.
    const passes = (this.proxy as unknown as { webPasses: { name: string }[] }).webPasses;
    passes.splice(0, passes.length, ...passes.filter((pass) => pass.name !== 'deleteLength'));
    if (passes.some((pass) => pass.name === 'deleteLength') || passes.length === 0) throw new Error('http-proxy passes are not what the balancer expects');
    // A safety net only: every request passes its own error callback.
    this.proxy.on('error', (error) => this.log.warn('proxy.error', { error: error.message }));
    this.proxy.on('proxyRes', (proxyRes, _req, res) => {
      stripResponseHeaders(proxyRes.headers);
      proxyRes.headers.connection = (res as http.ServerResponse & { shouldKeepAlive?: boolean }).shouldKeepAlive && !this.closing ? 'keep-alive' : 'close';
      // http-proxy leaves the client waiting when a member dies mid-answer: cut it too.
      proxyRes.on('close', () => {
        if (!proxyRes.complete) res.destroy();
      });
    });

    this.server = http.createServer(serverOptions(options.client), (req, res) => this.onRequest(req, res));
    this.server.prependListener('connection', (socket: Socket) => this.admit(socket));
    this.server.on('checkContinue', (req, res) => this.onExpectContinue(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('connect', (_req: http.IncomingMessage, socket: Socket) => {
      this.count('FLEET_METHOD_UNSUPPORTED');
      if (this.pipeline.ended(socket)) return;
      this.pipeline.end(socket);
      this.pipeline.afterResponses(socket, () => closeAfter(socket, rawAnswer(501, 'FLEET_METHOD_UNSUPPORTED', 'CONNECT is not supported')));
    });
    // The parser's error is answered after the responses owed to earlier requests (it fires
    // again on every later chunk: only the first is answered). After a refusal, the
    // refusal's own answer closes the connection.
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      if (this.pipeline.ended(socket)) return;
      this.pipeline.end(socket);
      this.pipeline.afterResponses(socket, () => {
        const code = answerClientError(error, socket);
        if (code) {
          this.count(code);
          this.log.debug('client.rejected', { code, error: error.code ?? error.message });
        }
      });
    });
  }

  /** Client connections open now. */
  get connections(): number {
    return this.sockets.size;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      // A deep accept queue: a burst of connects waits for accept() instead of being dropped.
      this.server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
        this.server.off('error', onError);
        this.shedder.start();
        this.server.on('error', (error) => this.log.error('balancer.error', { error: error.message }));
        resolve();
      });
    });
  }

  /**
   * Retires this balancer without failing a request: it stops accepting, every answer from
   * now on says `Connection: close`, and a kept-alive connection closes after its next
   * answer or its idle timeout, not under a client that may be sending on it. Resolves once
   * no connection is left, or after `timeoutMs` (then the rest are cut).
   */
  drain(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.shedder.stop();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.destroy();
        resolve();
      }, timeoutMs);
      // net's close, not http's: http's would also close idle kept-alive connections at once.
      net.Server.prototype.close.call(this.server, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops accepting, lets requests in flight finish, then drops idle connections. */
  close(): Promise<void> {
    this.closing = true;
    this.shedder.stop();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /** Drops the pooled connections of a member that is gone; requests waiting for it go elsewhere. */
  forget(id: string): void {
    for (const exchange of this.gate.drop(id)) {
      this.members.release(id);
      this.dispatch(exchange);
    }
    this.agents.get(id)?.destroy();
    this.agents.delete(id);
    this.tunnelAgents.get(id)?.destroy();
    this.tunnelAgents.delete(id);
    this.targets.delete(id);
  }

  destroy(): void {
    for (const id of [...this.agents.keys(), ...this.tunnelAgents.keys()]) this.forget(id);
    for (const socket of this.sockets) socket.destroy();
  }

  private count(code: string): void {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
  }

  // Past the connection limit a client is told so (503) and closed, not left waiting.
  private admit(socket: Socket): void {
    if (this.sockets.size < this.options.client.maxConnections) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      return;
    }
    this.refused.add(socket);
    this.count('FLEET_TOO_MANY_CONNECTIONS');
    // A flood must not turn into as many lingering sockets: past a bound, close at once.
    if (this.refusing >= 1_000) {
      socket.destroy();
    } else {
      this.refusing++;
      socket.once('close', () => this.refusing--);
      closeAfter(socket, rawAnswer(503, 'FLEET_TOO_MANY_CONNECTIONS', `the balancer holds its limit of ${this.options.client.maxConnections} connections`));
    }
    const now = Date.now();
    if (now - this.lastRefusalLog >= 10_000) {
      this.lastRefusalLog = now;
      this.log.warn('client.refused', { reason: 'connection limit', limit: this.options.client.maxConnections, refusedSoFar: this.rejected.get('FLEET_TOO_MANY_CONNECTIONS') });
    }
  }

  private agentFor(member: Member, tunnel = false): MemberAgent {
    const pool = tunnel ? this.tunnelAgents : this.agents;
    let agent = pool.get(member.id);
    if (!agent) {
      agent = new MemberAgent({ connectTimeoutMs: this.options.upstream.connectTimeoutMs, keepAlive: !tunnel });
      pool.set(member.id, agent);
    }
    return agent;
  }

  // What http-proxy would parse from `http://ip:port` on every request, parsed once.
  private targetFor(member: Member): Partial<Url> {
    let target = this.targets.get(member.id);
    if (!target) {
      const host = `${member.ip}:${member.port}`;
      target = { protocol: 'http:', slashes: true, host, hostname: member.ip, port: String(member.port), pathname: '/', path: '/', href: `http://${host}/` };
      this.targets.set(member.id, target);
    }
    return target;
  }

  private onExpectContinue(req: http.IncomingMessage, res: http.ServerResponse): void {
    const framing = checkFraming(req.rawHeaders, req.httpVersion);
    // Refuse before the client sends a body we would not take.
    if (framing.ok && typeof framing.body === 'number' && framing.body > this.options.client.maxBodyBytes) {
      this.refuse(res, 413, 'FLEET_BODY_TOO_LARGE', `the request body exceeds ${this.options.client.maxBodyBytes} bytes`);
      return;
    }
    res.writeContinue();
    this.onRequest(req, res);
  }

  /** `known` is the body when the caller already has it (an upgrade request answered as plain HTTP). */
  private onRequest(req: http.IncomingMessage, res: http.ServerResponse, known?: Body): void {
    if (this.refused.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    // Behind a refusal or a `Connection: close` request: never forwarded, never answered.
    if (!this.pipeline.admit(req.socket, res)) return;
    if (!res.shouldKeepAlive) this.pipeline.end(req.socket);
    this.requests++;
    // Every answer is told when it completes, the balancer's own (503, 413…) too.
    const started = performance.now();
    let exchange: Exchange | undefined;
    if (this.observer) res.once('finish', () => this.observer?.answered(exchange?.member?.name, res.statusCode, performance.now() - started, exchange?.attempts ?? 0));
    if (this.onRequestDone) this.reportWhenDone(req, res, this.onRequestDone);
    const framing = checkFraming(req.rawHeaders, req.httpVersion);
    if (!framing.ok) {
      this.refuse(res, framing.status, framing.code, framing.reason);
      return;
    }
    if (this.shedder.shed()) {
      this.shed(res, framing.body === 'none');
      return;
    }
    const peer = { address: req.socket.remoteAddress ?? '', localPort: req.socket.localPort ?? 0 };
    const trustedPeer = this.trusted.has(peer.address);
    req.headers = requestHeaders(req.headers, forwardedHeaders(req.headers, peer, this.trusted), { upgrade: false, trustedPeer });
    const start = (body: Body): void => {
      if (body.kind === 'aborted') return;
      if (body.kind === 'too-large') {
        this.refuse(res, 413, 'FLEET_BODY_TOO_LARGE', `the request body exceeds ${this.options.client.maxBodyBytes} bytes`);
        return;
      }
      this.dispatch((exchange = { req, res, method: req.method ?? 'GET', body, tried: new Set(), attempts: 0, member: undefined }));
    };
    if (known) start(known);
    else if (framing.body === 'none') start({ kind: 'none' });
    else void readBody(req, framing.body, this.options.client.maxBodyBytes).then(start);
  }

  // 'close' comes once per response, after its last byte or when it is cut.
  private reportWhenDone(req: http.IncomingMessage, res: http.ServerResponse, hook: (info: RequestDone) => void): void {
    const started = performance.now();
    const socket = req.socket;
    const sentBefore = socket.bytesWritten;
    res.once('close', () => {
      hook({
        client: socket.remoteAddress ?? '',
        method: req.method ?? '',
        path: req.url ?? '',
        status: res.headersSent ? res.statusCode : 499,
        bytes: socket.bytesWritten - sentBefore,
        durationMs: performance.now() - started,
        member: this.servedBy.get(res),
      });
    });
  }

  /** Answers a request the balancer will not forward, and closes the connection. */
  private refuse(res: http.ServerResponse, status: number, code: string, reason: string): void {
    this.count(code);
    this.log.debug('client.rejected', { code, reason });
    this.pipeline.end(res.req.socket);
    res.shouldKeepAlive = false;
    this.reply(res, status, `${status} ${http.STATUS_CODES[status]}: ${reason} (${code})\n`, true);
  }

  // The balancer runs too far behind to answer within the queue bound: told at once, and
  // when to come back. A request with a body is not read: its connection closes.
  private shed(res: http.ServerResponse, keepAlive: boolean): void {
    this.count('FLEET_OVERLOADED');
    if (!keepAlive) res.shouldKeepAlive = false;
    this.reply(
      res,
      503,
      `503 Service Unavailable: the balancer of fleet "${this.options.fleetName}" is overloaded; retry in ${RETRY_AFTER_S} s (FLEET_OVERLOADED)\n`,
      !keepAlive,
      true,
    );
  }

  /** The next member in rotation that is not tried yet and whose queue has room. */
  private pick(tried: ReadonlySet<string>): { member: Member | undefined; full: boolean } {
    // A copy only once a member with a full queue has to be skipped too.
    let skip: ReadonlySet<string> | Set<string> = tried;
    let full = false;
    for (;;) {
      const member = this.members.next(skip);
      if (!member) return { member: undefined, full };
      if (!this.gate.full(member.id)) return { member, full };
      full = true;
      if (skip === tried) skip = new Set(tried);
      (skip as Set<string>).add(member.id);
    }
  }

  private dispatch(exchange: Exchange): void {
    const { res } = exchange;
    const { member, full } = this.pick(exchange.tried);
    if (!member) {
      this.log.debug('proxy.no_member', { full, rotation: this.members.rotation.length, tried: exchange.tried.size });
      if (full) this.reply(res, 503, `503 Service Unavailable: every member of fleet "${this.options.fleetName}" has a full queue (FLEET_QUEUE_FULL)\n`, false, true);
      else this.reply(res, 503, `503 Service Unavailable: fleet "${this.options.fleetName}" has no healthy member (FLEET_NO_MEMBER)\n`);
      return;
    }
    exchange.tried.add(member.id);
    exchange.attempts++;
    exchange.member = member;
    // Waiting for the member counts as in flight on it: a drain waits for these too.
    this.members.acquire(member.id);
    const entry = this.gate.enter(
      member.id,
      exchange,
      (ready) => this.send(ready, member),
      (expired) => {
        this.members.release(member.id);
        this.failed(expired, { member, settled: true, responded: false, timedOut: false }, codedError('FLEET_QUEUE_TIMEOUT', `no slot of member ${member.name} freed in time`));
      },
    );
    if (entry === 'go') this.send(exchange, member);
  }

  /** Sends an exchange to a member whose gate it passed; the slot and the in-flight count are its own until it ends. */
  private send(exchange: Exchange, member: Member): void {
    const { req, res } = exchange;
    if (res.destroyed || req.socket.destroyed) {
      this.members.release(member.id);
      this.gate.leave(member.id);
      return;
    }
    const attempt: Attempt = { member, settled: false, responded: false, timedOut: false };
    if (this.onRequestDone) this.servedBy.set(res, member.name);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.members.release(member.id);
      this.gate.leave(member.id);
    };
    // 'finish' on a completed answer, 'close' on an aborted one. Left in place (release runs
    // once): removing them costs more than the response they die with.
    res.on('finish', release);
    res.on('close', release);
    const fail = (error: NodeJS.ErrnoException): void => {
      if (attempt.settled) return;
      attempt.settled = true;
      release();
      this.failed(exchange, attempt, error);
    };

    const agent = this.agentFor(member);
    const proxyReq = agent.capture(() => this.proxy.web(req, res, { target: this.targetFor(member), agent, buffer: replay(exchange.body) }, fail));
    if (!proxyReq) throw new Error('http-proxy did not create its request through the member agent');
    const timer = setTimeout(() => {
      attempt.timedOut = true;
      proxyReq.destroy(codedError('FLEET_UPSTREAM_TIMEOUT', `no answer within ${this.options.upstream.responseTimeoutMs} ms`));
    }, this.options.upstream.responseTimeoutMs);
    // 'response' and 'close' come once per request: `on` spares once's wrapper.
    proxyReq.on('response', () => {
      attempt.responded = true;
      attempt.settled = true;
      clearTimeout(timer);
      // While the answer streams, no progress for this long (a client that stops reading,
      // a member that stalls mid-answer) cuts the connection.
      res.setTimeout(this.options.upstream.responseTimeoutMs);
    });
    // A member that switches protocols unasked (101 to a plain request) is an error, not a hang.
    proxyReq.on('upgrade', (_res: http.IncomingMessage, socket: Socket) => {
      socket.destroy();
      fail(codedError('FLEET_UNEXPECTED_UPGRADE', 'the member switched protocols unasked'));
    });
    proxyReq.on('close', () => {
      clearTimeout(timer);
      if (!attempt.responded) fail(codedError('FLEET_UPSTREAM_CLOSED', 'the member closed the connection without an answer'));
    });
  }

  private failed(exchange: Exchange, attempt: Attempt, error: NodeJS.ErrnoException): void {
    const { req, res } = exchange;
    const { member } = attempt;
    const code = error.code ?? 'EUNKNOWN';
    if (UNREACHABLE.has(code)) this.members.reportUnreachable(member.id);
    else if (attempt.timedOut) this.members.report(member.id, false);

    if (res.headersSent || res.writableEnded || res.destroyed || req.socket.destroyed) {
      if (!res.writableEnded) this.log.warn('proxy.abort', { member: member.name, error: code });
      res.destroy();
      return;
    }
    const replayable = exchange.body.kind !== 'streaming';
    const retryable = replayable && (NEVER_SENT.has(code) || SAFE_METHODS.has(exchange.method));
    if (retryable && exchange.attempts < this.options.upstream.maxAttempts && this.pick(exchange.tried).member) {
      this.log.debug('proxy.retry', { member: member.name, error: code });
      this.dispatch(exchange);
      return;
    }
    this.log.warn('proxy.fail', { member: member.name, error: code });
    if (exchange.body.kind === 'streaming') res.shouldKeepAlive = false;
    if (attempt.timedOut) this.reply(res, 504, `504 Gateway Timeout: member ${member.name} did not answer in time (FLEET_UPSTREAM_TIMEOUT)\n`);
    else if (code === 'FLEET_QUEUE_TIMEOUT') this.reply(res, 503, `503 Service Unavailable: no connection to member ${member.name} became free in time (FLEET_QUEUE_TIMEOUT)\n`, false, true);
    else if (UNREACHABLE.has(code) && this.members.rotation.length === 0) {
      this.reply(res, 503, `503 Service Unavailable: fleet "${this.options.fleetName}" has no healthy member (FLEET_NO_MEMBER)\n`);
    } else this.reply(res, 502, `502 Bad Gateway: member ${member.name} failed: ${code} (FLEET_UPSTREAM_ERROR)\n`);
  }

  private onUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.refused.has(socket)) {
      socket.destroy();
      return;
    }
    const framing = checkFraming(req.rawHeaders, req.httpVersion);
    const reject = (status: number, code: string, reason: string): void => {
      this.count(code);
      this.log.debug('client.rejected', { code, reason });
      closeAfter(socket, rawAnswer(status, code, reason));
    };
    if (!framing.ok) return reject(framing.status, framing.code, framing.reason);
    if (framing.body !== 'none') return reject(400, 'FLEET_BAD_FRAMING', 'an upgrade request with a body');
    if (req.method !== 'GET' || !connectionTokens(req.headers.upgrade).includes('websocket')) {
      // Another protocol (h2c, TLS...): ignored, as RFC 9110 §7.8 lets a server do; the
      // request is answered as plain HTTP/1.1 on a connection that then closes.
      const res = new http.ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket);
      res.once('finish', () => closeAfter(socket, undefined));
      this.onRequest(req, res, { kind: 'buffered', data: Buffer.alloc(0) });
      return;
    }
    const { member } = this.pick(new Set());
    if (!member) return reject(503, 'FLEET_NO_MEMBER', `fleet "${this.options.fleetName}" has no healthy member`);

    const peer = { address: socket.remoteAddress ?? '', localPort: socket.localPort ?? 0 };
    req.headers = requestHeaders(req.headers, forwardedHeaders(req.headers, peer, this.trusted), { upgrade: true, trustedPeer: this.trusted.has(peer.address) });
    // The tunnel counts as a request in flight on its member until either side closes.
    this.members.acquire(member.id);
    socket.once('close', () => this.members.release(member.id));
    let answered = false;
    const agent = this.agentFor(member, true);
    const proxyReq = agent.capture(() =>
      this.proxy.ws(req, socket, head, { target: `http://${member.ip}:${member.port}`, agent }, (error: NodeJS.ErrnoException) => {
        if (UNREACHABLE.has(error.code ?? '')) this.members.reportUnreachable(member.id);
        this.log.warn('proxy.tunnel_fail', { member: member.name, error: error.code ?? error.message });
        // http-proxy ends the socket right after this callback: the answer goes first.
        if (!answered && socket.writable) socket.write(rawAnswer(502, 'FLEET_UPSTREAM_ERROR', `member ${member.name} failed: ${error.code ?? error.message}`));
        answered = true;
      }),
    );
    if (!proxyReq) throw new Error('http-proxy did not create its WebSocket request through the member agent');
    const timer = setTimeout(() => proxyReq.destroy(codedError('FLEET_UPSTREAM_TIMEOUT', 'no answer to the upgrade in time')), this.options.upstream.responseTimeoutMs);
    proxyReq.once('response', (res: http.IncomingMessage) => {
      // The member declined the upgrade: http-proxy relays its answer; then the connection ends.
      clearTimeout(timer);
      answered = true;
      res.once('end', () => socket.end());
      res.once('close', () => setTimeout(() => socket.destroy(), 1_000).unref());
    });
    proxyReq.once('upgrade', (_res: http.IncomingMessage, upstream: Socket) => {
      clearTimeout(timer);
      answered = true;
      for (const [side, other] of [
        [socket, upstream],
        [upstream, socket],
      ]) {
        side.setTimeout(TUNNEL_IDLE_MS);
        side.once('timeout', () => side.destroy());
        side.once('close', () => other.destroy());
        // One side finished sending: the other is told, and both go after a grace period
        // (HAProxy's client-fin/server-fin), so a half-closed tunnel cannot linger.
        side.once('end', () => {
          other.end();
          setTimeout(() => {
            side.destroy();
            other.destroy();
          }, TUNNEL_FIN_GRACE_MS).unref();
        });
      }
    });
    proxyReq.once('close', () => clearTimeout(timer));
  }

  private reply(res: http.ServerResponse, status: number, body: string, close = false, retry = false): void {
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' };
    if (close || this.closing) headers.connection = 'close';
    if (retry) headers['retry-after'] = String(RETRY_AFTER_S);
    res.writeHead(status, headers);
    res.end(body);
  }
}

/** What http-proxy pipes to the member for this attempt; undefined pipes the request itself. */
function replay(body: Body): Readable | undefined {
  if (body.kind === 'buffered') {
    const stream = new PassThrough();
    stream.end(body.data);
    return stream;
  }
  if (body.kind === 'streaming') return body.stream;
  return undefined;
}
