// A stand-in for the daemon's admin listener that speaks docs' admin contract (GET /,
// /api/status, /api/events) with made-up members: for laying out the dashboard at 100
// members and for provoking what the real daemon cannot be asked to do on cue (a dropped
// stream). The browser test of record runs against the real daemon.
//
//   node --loader ts-node/esm test/fleet/admin/fixture-server.ts [members] [port] [swarm]
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FleetStatus, MemberStatus } from '../../../src/fleet/control/socket/protocol.js';

export const DASHBOARD = path.resolve(import.meta.dirname, '..', '..', '..', 'src', 'fleet', 'admin', 'dashboard.html');
export const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:";

export interface Fixture {
  url: string;
  status(): FleetStatus;
  /** Kills a member: it goes, a replacement with a new id and IP comes, events say so. */
  kill(index: number): { dead: MemberStatus; replacement: MemberStatus };
  /** Ends every open event stream (the page should say so and come back by itself). */
  dropStreams(): void;
  /** Refuses new streams while true (503), as a daemon that is not there yet. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

interface LogEvent {
  time: string;
  level: string;
  event: string;
  fields: Record<string, unknown>;
}

export interface FixtureOptions {
  /** Answer as a balancer on Swarm does: each member's node and list generation, the list, the stack's agents and balancers. */
  swarm?: boolean;
}

const NODES = ['lab-n2', 'lab-n1', 'lab-n3'];

export async function startFixture(count: number, port = 0, options: FixtureOptions = {}): Promise<Fixture> {
  const page = readFileSync(DASHBOARD);
  let nextIp = 2;
  const member = (): MemberStatus => {
    const id = randomBytes(32).toString('hex');
    const ip = `172.30.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 2}`;
    const swarm = options.swarm ? { node: NODES[nextIp % NODES.length], generation: 0 } : {};
    return { id, name: `fleet-fixture-${id.slice(0, 8)}`, ip, healthy: true, state: 'up', inflight: 0, inSync: true, session: 'open', ...swarm };
  };
  const members: MemberStatus[] = Array.from({ length: count }, member);
  const log: LogEvent[] = [];
  const streams = new Set<http.ServerResponse>();
  let refusing = false;
  let requests = 0;
  let generation = 1;

  // On Swarm every member holds the current list but the last, which holds the one before.
  const listed = (): MemberStatus[] =>
    members.map((m, i) => (options.swarm ? { ...m, generation: i === members.length - 1 ? generation * 1024 - 1 : generation * 1024, inSync: i !== members.length - 1 } : m));
  const swarm = (): Partial<FleetStatus> =>
    options.swarm
      ? {
          list: { generation: generation * 1024, ips: members.map((m) => m.ip) },
          stack: {
            agents: NODES.map((_, i) => ({ address: `10.0.9.${i + 2}`, connected: i !== 2 })),
            balancers: ['lab-n1', 'lab-n2'].map((node) => ({ node, state: 'running', desired: 'running' })),
          },
        }
      : {};
  const status = (): FleetStatus => ({
    name: 'fixture',
    desired: count,
    port: 8080,
    host: '127.0.0.1',
    image: 'fleet-nginx:offline',
    pid: process.pid,
    members: listed().sort((a, b) => a.name.localeCompare(b.name)),
    workers: [0, 1].map((slot) => ({ slot, pid: 1000 + slot, state: 'serving' as const, requests: 0, inflight: 0, connections: 0, restarts: 0 })),
    ...swarm(),
  });

  const send = (res: http.ServerResponse, event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const emit = (level: string, event: string, fields: Record<string, unknown>): void => {
    const entry = { time: new Date().toISOString(), level, event, fields };
    log.push(entry);
    if (log.length > 100) log.shift();
    for (const res of streams) send(res, 'log', entry);
  };

  const tick = (): void => {
    const t = Date.now() / 1000;
    const rates: Record<string, { rps: number; p50: number | null; p99: number | null }> = {};
    let rps = 0;
    for (const [i, m] of members.entries()) {
      const r = Math.max(0, 40 + 30 * Math.sin(t / 20 + i)) + Math.random() * 5;
      m.inflight = Math.floor(Math.random() * 4);
      rates[m.id] = { rps: r, p50: 1 + Math.random(), p99: 8 + 6 * Math.random() + 4 * Math.sin(t / 15) };
      rps += r;
    }
    requests += Math.round(rps);
    const data = {
      time: new Date().toISOString(),
      status: status(),
      totals: { rps, p50: 1.4, p99: 12 + 4 * Math.sin(t / 15), inflight: members.reduce((s, m) => s + m.inflight, 0), requests },
      members: rates,
    };
    for (const res of streams) send(res, 'status', data);
  };
  const timer = setInterval(tick, 1000);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP });
      res.end(page);
    } else if (url.pathname === '/api/status') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status()));
    } else if (url.pathname === '/api/events') {
      if (refusing) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('not yet\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('retry: 1000\n\n');
      for (const entry of log) send(res, 'log', entry);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      tick();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;

  for (const m of members) emit('INFO', 'member.state', { member: m.name, ip: m.ip, from: 'pending', to: 'up' });
  emit('INFO', 'list.converged', { generation, cause: 'up', members: members.length, ms: 42, bySession: members.length });

  return {
    url: `http://127.0.0.1:${bound}/`,
    status,
    kill(index) {
      const [dead] = members.splice(index, 1);
      emit('WARN', 'member.died', { member: dead.name, ip: dead.ip, id: dead.id.slice(0, 12) });
      emit('INFO', 'member.removed', { id: dead.id.slice(0, 12) });
      const replacement = member();
      members.push(replacement);
      emit('INFO', 'member.started', { id: replacement.id.slice(0, 12) });
      emit('INFO', 'member.state', { member: replacement.name, ip: replacement.ip, from: 'pending', to: 'up' });
      emit('INFO', 'list.converged', { generation: ++generation, cause: 'died', members: members.length, ms: 17, bySession: members.length });
      return { dead, replacement };
    },
    dropStreams() {
      for (const res of streams) res.destroy();
    },
    refuse(on) {
      refusing = on;
    },
    close() {
      clearInterval(timer);
      for (const res of streams) res.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const fixture = await startFixture(Number(process.argv[2] ?? 100), Number(process.argv[3] ?? 0), { swarm: process.argv[4] === 'swarm' });
  process.stdout.write(`${fixture.url}\n`);
}
