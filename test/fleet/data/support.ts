// What the balancer's tests share: real local servers on port 0 as members, a raw TCP
// member that records the exact bytes it receives, a raw client, and a balancer in front
// of them. Every server is closed in the teardown registered the line after it is made.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Logger } from '../../../src/log.js';
import { MemberSet } from '../../../src/fleet/control/members.js';
import { Balancer, type BalancerOptions } from '../../../src/fleet/data/balancer.js';
import type { ClientLimits } from '../../../src/fleet/data/client-limits.js';
import type { UpstreamLimits } from '../../../src/fleet/data/balancer.js';
import type { RequestObserver } from '../../../src/fleet/data/request-stats.js';

export interface Tap {
  teardown(fn: () => unknown): void;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** An HTTP member on 127.0.0.1: by default it answers its name and the X-Forwarded-For it saw. */
export async function backend(t: Tap, name: string, handler?: Handler): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer(
    handler ??
      ((req, res) => {
        res.setHeader('X-Served-By', name);
        res.end(`${name} ${String(req.headers['x-forwarded-for'] ?? '')}\n`);
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, server };
}

export interface RawMember {
  port: number;
  /** Everything received, per connection, in order. */
  received: () => string[];
}

/**
 * A member that records the bytes it receives and answers each request it can frame with a
 * fixed 200. It parses only what a test needs to answer: it is the record that matters.
 */
export async function rawMember(t: Tap): Promise<RawMember> {
  const connections: string[] = [];
  const server = net.createServer((socket) => {
    const index = connections.push('') - 1;
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      connections[index] += chunk.toString('latin1');
      pending += chunk.toString('latin1');
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.slice(0, end);
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
        let rest = pending.slice(end + 4);
        if (length) {
          if (rest.length < Number(length[1])) return;
          rest = rest.slice(Number(length[1]));
        } else if (chunked) {
          const last = rest.indexOf('0\r\n\r\n');
          if (last < 0) return;
          rest = rest.slice(last + 5);
        }
        pending = rest;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Served-By: raw\r\n\r\nok\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, received: () => connections.slice() };
}

export const TEST_CLIENT: ClientLimits = {
  maxConnections: 10_000,
  headerTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 1024 * 1024,
};

export const TEST_UPSTREAM: UpstreamLimits = {
  connectTimeoutMs: 500,
  responseTimeoutMs: 5_000,
  memberConnections: 512,
  queueSize: 1024,
  queueTimeoutMs: 5_000,
  maxAttempts: 3,
};

export interface Overrides {
  client?: Partial<ClientLimits>;
  upstream?: Partial<UpstreamLimits>;
  trustedProxies?: string[];
  /** The metrics' side of the completion hook. */
  observer?: RequestObserver;
}

/** A balancer on 127.0.0.1 over `ports` (member id to port), every member up and holding the list. */
export async function startBalancer(t: Tap, ports: Record<string, number>, overrides: Overrides = {}) {
  const members = new MemberSet({ rise: 2, fall: 3 });
  for (const [id, port] of Object.entries(ports)) {
    members.upsert({ id, name: id, ip: '127.0.0.1', port });
    members.setReady(id, true);
    members.report(id, true);
  }
  const logs = new PassThrough();
  logs.resume();
  const options: BalancerOptions = {
    fleetName: 'test',
    client: { ...TEST_CLIENT, ...overrides.client },
    upstream: { ...TEST_UPSTREAM, ...overrides.upstream },
    trustedProxies: overrides.trustedProxies ?? [],
  };
  const balancer = new Balancer(members, options, new Logger({ level: 'ERROR', stream: logs }), overrides.observer);
  await balancer.listen(0, '127.0.0.1');
  t.teardown(() => {
    balancer.destroy();
    return balancer.close();
  });
  return { members, balancer, port: (balancer.server.address() as AddressInfo).port };
}

export interface RawAnswer {
  /** Everything the balancer sent before closing (or before `waitMs` passed). */
  text: string;
  /** The status of the first answer; 0 when none came. */
  status: number;
  /** The balancer closed the connection. */
  closed: boolean;
}

/** Complete answers in `text`: each a head and, when it has a Content-Length, its whole body. */
export function completeAnswers(text: string): number {
  let count = 0;
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (!rest.startsWith('HTTP/1.') || end < 0) return count;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(rest.slice(0, end));
    const size = length ? Number(length[1]) : 0;
    if (rest.length < end + 4 + size) return count;
    count++;
    rest = rest.slice(end + 4 + size);
  }
}

/**
 * Sends raw bytes on one connection and collects what comes back until the balancer closes
 * it, `answers` complete answers arrived (when given), or `waitMs` passed.
 */
export function rawRequest(port: number, bytes: string | Buffer, waitMs = 1_000, answers?: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: status ? Number(status[1]) : 0, closed });
    };
    const timer = setTimeout(done, waitMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (answers !== undefined && completeAnswers(text) >= answers) done();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      done();
    });
  });
}

const agent = new http.Agent({ keepAlive: true });

export function destroyAgent(): void {
  agent.destroy();
}

export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function request(port: number, options: { path?: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer; agent?: http.Agent | false } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: options.path ?? '/', method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
