// The balancer's one edge to http-proxy: it carries a request (or a WebSocket handshake) to a
// member over that member's pool, and hands back the outgoing request so the balancer can
// time it and see it end. http-proxy's sharp edges are all handled here:
// - its deleteLength pass is removed: it turns a chunked DELETE or OPTIONS into
//   `content-length: 0` and still pipes the body, which the member then reads as a second
//   request;
// - its `proxyReq` event comes only once a socket is assigned, and never for a request
//   with `Expect`: the member agent hands over each request as it is created instead;
// - it leaves the client waiting when a member dies mid-answer: the answer is cut too;
// - its answers say `Connection: keep-alive` without the `Keep-Alive: timeout=N` hint Node
//   adds to its own: the hint is added here;
// - an upstream error goes to the per-request callback; the 'error' listener is a safety
//   net, so no error is ever unhandled (which would end the process).
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Url } from 'node:url';
import { PassThrough, type Readable } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Logger } from '../../log.js';
import type { Body } from './body.js';
import { stripResponseHeaders } from './headers.js';
import { MemberAgent } from './member-agent.js';
import type { MemberAddress as Member } from './rotation.js';

export type ProxyFailure = (error: NodeJS.ErrnoException) => void;

export class MemberProxy {
  private readonly proxy: httpProxy;
  private readonly agents = new Map<string, MemberAgent>();
  private readonly tunnelAgents = new Map<string, MemberAgent>();
  private readonly targets = new Map<string, Partial<Url>>();

  constructor(
    private readonly connectTimeoutMs: number,
    /** Requests one member gets at once (the gate's limit): as many idle connections are kept. */
    private readonly memberConnections: number,
    log: Logger,
    /** Whether the client's connection stays open after this answer. */
    keepAlive: (res: http.ServerResponse) => boolean,
    /** How long the balancer keeps an idle client connection (--idle-timeout). */
    idleTimeoutMs: number,
  ) {
    this.proxy = httpProxy.createProxyServer({ xfwd: false, preserveHeaderKeyCase: true });
    const passes = (this.proxy as unknown as { webPasses: { name: string }[] }).webPasses;
    passes.splice(0, passes.length, ...passes.filter((pass) => pass.name !== 'deleteLength'));
    if (passes.some((pass) => pass.name === 'deleteLength') || passes.length === 0) throw new Error('http-proxy passes are not what the balancer expects');
    this.proxy.on('error', (error) => log.warn('proxy.error', { error: error.message }));
    this.proxy.on('proxyRes', (proxyRes, _req, res) => {
      stripResponseHeaders(proxyRes.headers);
      if (keepAlive(res)) {
        proxyRes.headers.connection = 'keep-alive';
        // As Node's own answers say it: a client that honours the hint (Node's agent, undici)
        // retires the connection before the balancer closes it, instead of sending a request
        // into a connection that is closing, which it sees as 'socket hang up'.
        proxyRes.headers['keep-alive'] = `timeout=${Math.floor(idleTimeoutMs / 1000)}`;
      } else proxyRes.headers.connection = 'close';
      proxyRes.on('close', () => {
        if (!proxyRes.complete) res.destroy();
      });
    });
  }

  /** Sends a request to `member`; `fail` is told of an error before the answer. */
  web(member: Member, req: http.IncomingMessage, res: http.ServerResponse, body: Body, fail: ProxyFailure): http.ClientRequest {
    const agent = this.agentFor(member, false);
    const proxyReq = agent.capture(() => this.proxy.web(req, res, { target: this.targetFor(member), agent, buffer: replay(body) }, fail));
    if (!proxyReq) throw new Error('http-proxy did not create its request through the member agent');
    return proxyReq;
  }

  /** Sends a WebSocket handshake to `member`; on an error `fail` runs, then http-proxy ends `socket`. */
  ws(member: Member, req: http.IncomingMessage, socket: Socket, head: Buffer, fail: ProxyFailure): http.ClientRequest {
    const agent = this.agentFor(member, true);
    const proxyReq = agent.capture(() => this.proxy.ws(req, socket, head, { target: this.targetFor(member), agent }, fail));
    if (!proxyReq) throw new Error('http-proxy did not create its WebSocket request through the member agent');
    return proxyReq;
  }

  /** Drops the pooled connections of a member that is gone. */
  forget(id: string): void {
    this.agents.get(id)?.destroy();
    this.agents.delete(id);
    this.tunnelAgents.get(id)?.destroy();
    this.tunnelAgents.delete(id);
    this.targets.delete(id);
  }

  /** Every member with a pool. */
  members(): string[] {
    return [...new Set([...this.agents.keys(), ...this.tunnelAgents.keys()])];
  }

  private agentFor(member: Member, tunnel: boolean): MemberAgent {
    const pool = tunnel ? this.tunnelAgents : this.agents;
    let agent = pool.get(member.id);
    if (!agent) {
      agent = new MemberAgent({ connectTimeoutMs: this.connectTimeoutMs, keepAlive: !tunnel, maxIdle: this.memberConnections });
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
