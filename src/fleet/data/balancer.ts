// The L7 balancer: round robin over the members in rotation. A request is checked (framing,
// size), its headers are settled and its body read before a member is picked; only then is
// it carried to the member (proxy.ts, the one edge to http-proxy). The rooms beside it:
// which connections are taken (admission.ts), every answer the balancer writes itself
// (answers.ts), WebSocket tunnels (tunnel.ts), and the one hook that sees each request end
// (completion.ts). Timeouts are fleet's own (504, not http-proxy's 502), and a failure
// before any byte of the answer is retried on the next member when that is safe.
import http from 'node:http';
import net, { type Socket } from 'node:net';
import type { Logger } from '../../log.js';
import { Admission } from './admission.js';
import { type Answer, type AnswerCode, answer, closeAfter, parseErrorAnswer, writeAnswer } from './answers.js';
import { type Body, readBody } from './body.js';
import { type ClientLimits, serverOptions } from './client-limits.js';
import { type RequestRecord, watchCompletion } from './completion.js';
import { checkFraming } from './framing.js';
import { Pipeline } from './pipeline.js';
import { TrustedProxies, forwardedHeaders } from './forwarded.js';
import { connectionTokens, requestHeaders } from './headers.js';
import { Gate } from './gate.js';
import { Shedder } from './shed.js';
import { UNREACHABLE, codedError } from './member-agent.js';
import { MemberProxy } from './proxy.js';
import type { RequestObserver } from './request-stats.js';
import type { RequestDone } from './request-done.js';
import type { MemberAddress as Member, Rotation } from './rotation.js';
import { openTunnel } from './tunnel.js';

export { RETRY_AFTER_S } from './answers.js';
export { TUNNEL_IDLE_MS } from './tunnel.js';

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

// The request never reached the member: safe to send again, whatever its method. Of those,
// UNREACHABLE (member-agent.ts) say the member cannot be reached; a full queue says it is busy.
const NEVER_SENT = new Set([...UNREACHABLE, 'FLEET_QUEUE_TIMEOUT']);
// Sent, failed before an answer: sent again only when the method is safe (RFC 9110 §9.2.1).
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const noop = (): void => undefined;

/** One client request, across the attempts it takes. */
interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  method: string;
  body: Body;
  tried: Set<string>;
  /** What the completion hook reports: the latest attempt's member and the attempts so far. */
  record: RequestRecord;
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
  private readonly proxy: MemberProxy;
  private readonly admission: Admission;
  private readonly pipeline = new Pipeline();
  /** Per member, how to give up each resendable attempt it has not answered yet (`abandon`). */
  private readonly unanswered = new Map<string, Set<() => void>>();
  private readonly trusted: TrustedProxies;
  private readonly gate: Gate<Exchange>;
  private readonly shedder: Shedder;
  private closing = false;
  /** More listeners on the balancer's socket (acceptAlso). */
  private readonly acceptors: net.Server[] = [];
  /** Requests and connections the balancer turned away itself, by code (not the members' failures). */
  readonly turnedAway = new Map<AnswerCode, number>();
  /** Requests received since it started. */
  requests = 0;
  /** Called once per finished request when set (the access log); unset costs nothing. */
  onRequestDone: ((info: RequestDone) => void) | undefined;

  constructor(
    private readonly members: Rotation,
    private readonly options: BalancerOptions,
    private readonly log: Logger,
    private readonly observer?: RequestObserver,
  ) {
    this.trusted = new TrustedProxies(options.trustedProxies);
    this.gate = new Gate({ active: options.upstream.memberConnections, waiting: options.upstream.queueSize, timeoutMs: options.upstream.queueTimeoutMs });
    this.shedder = new Shedder(options.upstream.queueTimeoutMs);
    this.admission = new Admission(options.client.maxConnections, log);
    const keepAlive = (res: http.ServerResponse): boolean => (res as http.ServerResponse & { shouldKeepAlive?: boolean }).shouldKeepAlive === true && !this.closing;
    this.proxy = new MemberProxy(options.upstream.connectTimeoutMs, options.upstream.memberConnections, log, keepAlive, options.client.idleTimeoutMs);

    this.server = http.createServer(serverOptions(options.client), (req, res) => this.onRequest(req, res));
    this.server.prependListener('connection', (socket: Socket) => {
      if (!this.admission.admit(socket)) this.count('FLEET_TOO_MANY_CONNECTIONS');
    });
    this.server.on('checkContinue', (req, res) => this.onExpectContinue(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('connect', (_req: http.IncomingMessage, socket: Socket) => {
      this.count('FLEET_METHOD_UNSUPPORTED');
      if (this.pipeline.ended(socket)) return;
      this.pipeline.end(socket);
      this.pipeline.afterResponses(socket, () => closeAfter(socket, answer('FLEET_METHOD_UNSUPPORTED')));
    });
    // The parser's error is answered after the responses owed to earlier requests (it fires
    // again on every later chunk: only the first is answered). After a refusal, the
    // refusal's own answer closes the connection.
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      if (this.pipeline.ended(socket)) return;
      this.pipeline.end(socket);
      this.pipeline.afterResponses(socket, () => {
        const reply = parseErrorAnswer(error, socket);
        if (!reply) {
          socket.destroy();
          return;
        }
        closeAfter(socket, reply);
        this.count(reply.code);
        this.log.debug('client.rejected', { code: reply.code, error: error.code ?? error.message });
      });
    });
  }

  /** Client connections open now. */
  get connections(): number {
    return this.admission.connections;
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
      void this.stopAccepting((done) => net.Server.prototype.close.call(this.server, done)).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Accepts for this balancer on `handle` too: another descriptor of the socket it listens on
   * (sent over IPC, so a dup). libuv accepts one connection per listener per turn of the
   * event loop, and a turn under thousands of busy clients takes up to a second; each copy
   * is one more accept per turn, so new clients do not wait behind the busy ones.
   */
  acceptAlso(handle: object): void {
    const acceptor = net.createServer({ noDelay: true });
    acceptor.on('connection', (socket: Socket) => this.server.emit('connection', socket));
    acceptor.on('error', (error) => this.log.error('balancer.error', { error: error.message }));
    acceptor.listen(handle, LISTEN_BACKLOG);
    this.acceptors.push(acceptor);
  }

  /** Stops accepting, lets requests in flight finish, then drops idle connections. */
  close(): Promise<void> {
    this.closing = true;
    this.shedder.stop();
    const closed = this.stopAccepting((done) => this.server.close(done));
    this.server.closeIdleConnections();
    return closed;
  }

  /** Closes every listener; resolves once none has a connection left (each counts its own). */
  private stopAccepting(closeServer: (done: () => void) => void): Promise<void> {
    const closing = this.acceptors.splice(0).map((acceptor) => new Promise<void>((resolve) => acceptor.close(() => resolve())));
    closing.push(new Promise<void>((resolve) => closeServer(() => resolve())));
    return Promise.all(closing).then(() => undefined);
  }

  /**
   * A member went down (its checks failed, or it could not be reached): what was sent to it and
   * is not answered yet is sent again elsewhere where that is safe (GET, HEAD or OPTIONS, the
   * body at hand), instead of waiting out the response timeout on a member that may never
   * answer (a node lost in silence). Other requests wait for their answer or their timeout:
   * the member may have acted on them.
   */
  abandon(id: string): void {
    const unanswered = this.unanswered.get(id);
    if (!unanswered) return;
    this.unanswered.delete(id);
    for (const giveUp of unanswered) giveUp();
  }

  /** Drops the pooled connections of a member that is gone; requests waiting for it go elsewhere. */
  forget(id: string): void {
    for (const exchange of this.gate.drop(id)) {
      this.members.release(id);
      this.dispatch(exchange);
    }
    this.proxy.forget(id);
  }

  destroy(): void {
    for (const id of this.proxy.members()) this.forget(id);
    this.admission.destroyAll();
  }

  private count(code: AnswerCode): void {
    this.turnedAway.set(code, (this.turnedAway.get(code) ?? 0) + 1);
  }

  private onExpectContinue(req: http.IncomingMessage, res: http.ServerResponse): void {
    const framing = checkFraming(req.rawHeaders, req.httpVersion);
    // Refuse before the client sends a body we would not take.
    if (framing.ok && typeof framing.body === 'number' && framing.body > this.options.client.maxBodyBytes) {
      this.refuse(res, answer('FLEET_BODY_TOO_LARGE', this.options.client.maxBodyBytes));
      return;
    }
    res.writeContinue();
    this.onRequest(req, res);
  }

  /** `known` is the body when the caller already has it (an upgrade request answered as plain HTTP). */
  private onRequest(req: http.IncomingMessage, res: http.ServerResponse, known?: Body): void {
    if (this.admission.isTurnedAway(req.socket)) {
      req.socket.destroy();
      return;
    }
    // Behind a refusal or a `Connection: close` request: never forwarded, never answered.
    if (!this.pipeline.admit(req.socket, res)) return;
    if (!res.shouldKeepAlive) this.pipeline.end(req.socket);
    this.requests++;
    // Every answer is seen to its end, the balancer's own (503, 413…) too.
    const record = watchCompletion(req, res, { observer: this.observer, log: this.onRequestDone });
    const framing = checkFraming(req.rawHeaders, req.httpVersion);
    if (!framing.ok) {
      this.refuse(res, answer(framing.code, framing.reason));
      return;
    }
    if (this.shedder.shed()) {
      this.shed(res, framing.body === 'none');
      return;
    }
    this.settleHeaders(req, false);
    const start = (body: Body): void => {
      if (body.kind === 'aborted') return;
      if (body.kind === 'too-large') {
        this.refuse(res, answer('FLEET_BODY_TOO_LARGE', this.options.client.maxBodyBytes));
        return;
      }
      this.dispatch({ req, res, method: req.method ?? 'GET', body, tried: new Set(), record });
    };
    if (known) start(known);
    else if (framing.body === 'none') start({ kind: 'none' });
    else void readBody(req, framing.body, this.options.client.maxBodyBytes).then(start);
  }

  // What the member receives: hop-by-hop headers dropped, X-Forwarded-* as the balancer saw the peer.
  private settleHeaders(req: http.IncomingMessage, upgrade: boolean): void {
    const socket = req.socket;
    const peer = { address: socket.remoteAddress ?? '', localPort: socket.localPort ?? 0 };
    req.headers = requestHeaders(req.headers, forwardedHeaders(req.headers, peer, this.trusted), { upgrade, trustedPeer: this.trusted.has(peer.address) });
  }

  /** Answers a request the balancer will not forward, and closes the connection. */
  private refuse(res: http.ServerResponse, refusal: Answer): void {
    this.count(refusal.code);
    this.log.debug('client.rejected', { code: refusal.code, reason: refusal.text });
    this.pipeline.end(res.req.socket);
    res.shouldKeepAlive = false;
    this.reply(res, refusal, true);
  }

  // The balancer runs too far behind to answer within the queue bound: told at once, and
  // when to come back. A request with a body is not read: its connection closes.
  private shed(res: http.ServerResponse, keepAlive: boolean): void {
    this.count('FLEET_OVERLOADED');
    if (!keepAlive) res.shouldKeepAlive = false;
    this.reply(res, answer('FLEET_OVERLOADED', this.options.fleetName), !keepAlive);
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
    const { res, record } = exchange;
    const { member, full } = this.pick(exchange.tried);
    if (!member) {
      this.log.debug('proxy.no_member', { full, rotation: this.members.rotation.length, tried: exchange.tried.size });
      this.reply(res, full ? answer('FLEET_QUEUE_FULL', this.options.fleetName) : answer('FLEET_NO_MEMBER', this.options.fleetName));
      return;
    }
    exchange.tried.add(member.id);
    record.attempts++;
    record.member = member.name;
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

    const proxyReq = this.proxy.web(member, req, res, exchange.body, fail);
    const resendable = exchange.body.kind !== 'streaming' && SAFE_METHODS.has(exchange.method);
    const answered = resendable ? this.awaitAnswer(member, proxyReq, attempt) : noop;
    const timer = setTimeout(() => {
      attempt.timedOut = true;
      proxyReq.destroy(codedError('FLEET_UPSTREAM_TIMEOUT', `no answer within ${this.options.upstream.responseTimeoutMs} ms`));
    }, this.options.upstream.responseTimeoutMs);
    // 'response' and 'close' come once per request: `on` spares once's wrapper.
    proxyReq.on('response', () => {
      attempt.responded = true;
      attempt.settled = true;
      clearTimeout(timer);
      answered();
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
      answered();
      if (!attempt.responded) fail(codedError('FLEET_UPSTREAM_CLOSED', 'the member closed the connection without an answer'));
    });
  }

  /** Registers an attempt `abandon` may give up; returns what unregisters it. */
  private awaitAnswer(member: Member, proxyReq: http.ClientRequest, attempt: Attempt): () => void {
    const giveUp = (): void => {
      if (!attempt.settled) proxyReq.destroy(codedError('FLEET_MEMBER_DOWN', `member ${member.name} went down before it answered`));
    };
    let pending = this.unanswered.get(member.id);
    if (!pending) this.unanswered.set(member.id, (pending = new Set()));
    pending.add(giveUp);
    return () => {
      pending.delete(giveUp);
      if (pending.size === 0 && this.unanswered.get(member.id) === pending) this.unanswered.delete(member.id);
    };
  }

  private failed(exchange: Exchange, attempt: Attempt, error: NodeJS.ErrnoException): void {
    const { req, res } = exchange;
    const { member } = attempt;
    const code = error.code ?? 'EUNKNOWN';
    if (UNREACHABLE.has(code)) {
      this.members.reportUnreachable(member.id);
      this.abandon(member.id);
    } else if (attempt.timedOut) this.members.report(member.id, false);

    if (res.headersSent || res.writableEnded || res.destroyed || req.socket.destroyed) {
      if (!res.writableEnded) this.log.warn('proxy.abort', { member: member.name, error: code });
      res.destroy();
      return;
    }
    const replayable = exchange.body.kind !== 'streaming';
    const retryable = replayable && (NEVER_SENT.has(code) || SAFE_METHODS.has(exchange.method));
    if (retryable && exchange.record.attempts < this.options.upstream.maxAttempts && this.pick(exchange.tried).member) {
      this.log.debug('proxy.retry', { member: member.name, error: code });
      this.dispatch(exchange);
      return;
    }
    this.log.warn('proxy.fail', { member: member.name, error: code });
    if (exchange.body.kind === 'streaming') res.shouldKeepAlive = false;
    if (attempt.timedOut) this.reply(res, answer('FLEET_UPSTREAM_TIMEOUT', member.name));
    else if (code === 'FLEET_QUEUE_TIMEOUT') this.reply(res, answer('FLEET_QUEUE_TIMEOUT', member.name));
    else if (UNREACHABLE.has(code) && this.members.rotation.length === 0) this.reply(res, answer('FLEET_NO_MEMBER', this.options.fleetName));
    else this.reply(res, answer('FLEET_UPSTREAM_ERROR', member.name, code));
  }

  private onUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.admission.isTurnedAway(socket)) {
      socket.destroy();
      return;
    }
    const framing = checkFraming(req.rawHeaders, req.httpVersion);
    const reject = (refusal: Answer): void => {
      this.count(refusal.code);
      this.log.debug('client.rejected', { code: refusal.code, reason: refusal.text });
      closeAfter(socket, refusal);
    };
    if (!framing.ok) return reject(answer(framing.code, framing.reason));
    if (framing.body !== 'none') return reject(answer('FLEET_BAD_FRAMING', 'an upgrade request with a body'));
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
    if (!member) return reject(answer('FLEET_NO_MEMBER', this.options.fleetName));

    this.settleHeaders(req, true);
    // The tunnel counts as a request in flight on its member until either side closes.
    this.members.acquire(member.id);
    socket.once('close', () => this.members.release(member.id));
    openTunnel(member, req, socket, head, {
      proxy: this.proxy,
      responseTimeoutMs: this.options.upstream.responseTimeoutMs,
      failed: (error) => {
        if (UNREACHABLE.has(error.code ?? '')) this.members.reportUnreachable(member.id);
        this.log.warn('proxy.tunnel_fail', { member: member.name, error: error.code ?? error.message });
      },
    });
  }

  /** Writes one of the balancer's own answers; a retiring balancer closes the connection after it. */
  private reply(res: http.ServerResponse, own: Answer, close = false): void {
    writeAnswer(res, own, close || this.closing);
  }
}
