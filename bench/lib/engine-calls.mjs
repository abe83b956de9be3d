// Where an engine's time goes, as its callers see it: a unix-socket proxy in front of a
// Docker engine that times every API call from the request to the engine's first answer
// (headers, or the first bytes of a hijacked exec or attach), by route. Give the proxy's
// DOCKER_HOST to the program under measure; `report()` says, per route, how many calls,
// how many failed (4xx/5xx or a broken connection), their summed and median times.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { median } from './stats.mjs';

/** `/v1.41/containers/3f…/start?x=1` → `POST /containers/{id}/start`. */
export function routeOf(method, url) {
  const pathname = url.split('?')[0].replace(/^\/v\d+\.\d+/, '');
  const route = pathname.replace(/^\/(containers|exec|networks|images|volumes|tasks|services|nodes)\/(?!json$|create$|prune$)[^/]+/, '/$1/{id}');
  return `${method} ${route}`;
}

/**
 * Starts the proxy in front of the engine at `engineSocket`; resolves with its DOCKER_HOST,
 * the calls so far and a `close()`.
 */
export async function startEngineCalls(engineSocket) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-engine-calls-'));
  const socket = path.join(dir, 'docker.sock');
  const calls = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const record = (method, url, began, ok) => calls.push({ route: routeOf(method, url), ms: performance.now() - began, ok });

  const server = http.createServer((req, res) => {
    const began = performance.now();
    let recorded = false;
    const once = (ok) => {
      if (!recorded) record(req.method, req.url, began, ok);
      recorded = true;
    };
    const upstream = http.request({ socketPath: engineSocket, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      once(answer.statusCode < 400);
      res.writeHead(answer.statusCode, answer.rawHeaders);
      res.flushHeaders();
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      once(false);
      res.destroy();
    });
    req.pipe(upstream);
    res.on('close', () => upstream.destroy());
  });
  // Exec and attach with a hijacked connection (Connection: Upgrade): a raw pipe once the
  // request head is through, timed to the engine's first bytes.
  server.on('upgrade', (req, client, head) => {
    const began = performance.now();
    const engine = net.connect(engineSocket);
    let answered = false;
    engine.on('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      engine.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) engine.write(head);
      client.pipe(engine);
    });
    engine.on('data', (chunk) => {
      if (!answered) {
        answered = true;
        record(req.method, req.url, began, /^HTTP\/1\.[01] [12]\d\d/.test(chunk.toString('latin1', 0, 16)));
      }
      client.write(chunk);
    });
    const end = () => {
      if (!answered) record(req.method, req.url, began, false);
      answered = true;
      client.destroy();
      engine.destroy();
    };
    engine.on('error', end).on('close', end);
    client.on('error', end).on('close', end);
  });
  // An idle kept connection stays open for as long as its client keeps it, as dockerd's do:
  // Node's default 5 s would close a daemon's pooled connection under it, and the reuse race
  // that follows would count as engine errors.
  server.keepAliveTimeout = 0;
  await new Promise((resolve, reject) => server.once('error', reject).listen(socket, resolve));

  return {
    host: `unix://${socket}`,
    calls,
    /** Rows per route, the most summed time first: [route, calls, failed, summed s, p50 ms, max ms]. */
    report() {
      const byRoute = new Map();
      for (const c of calls) byRoute.set(c.route, [...(byRoute.get(c.route) ?? []), c]);
      return [...byRoute]
        .map(([route, list]) => {
          const ms = list.map((c) => c.ms);
          return { route, calls: list.length, failed: list.filter((c) => !c.ok).length, sumS: ms.reduce((a, b) => a + b, 0) / 1000, p50: median(ms), max: Math.max(...ms) };
        })
        .sort((a, b) => b.sumS - a.sumS);
    },
    async close() {
      server.close();
      server.closeAllConnections?.();
      agent.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
