// HAProxy beside fleet, over the same members: Debian's /usr/sbin/haproxy (or HAPROXY), its
// defaults plus health checks like the daemon's and X-Forwarded-For, round robin, `nbthread`
// threads as the fleet has workers. Stopped by the benchmarks' cleanup.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, onCleanup } from './fleet.mjs';
import { MEMBER_PORT, get } from './http.mjs';
import { run } from './run.mjs';

export const HAPROXY = process.env.HAPROXY || '/usr/sbin/haproxy';

export function haproxyConfig(port, ips, nbthread, maxconn = 4096) {
  return [
    'global',
    `  maxconn ${maxconn}`,
    `  nbthread ${nbthread}`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  option forwardfor',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend members',
    'backend members',
    '  balance roundrobin',
    '  option httpchk GET /healthz',
    ...ips.map((ip, i) => `  server m${i + 1} ${ip}:${MEMBER_PORT} check inter 2s fall 3 rise 2`),
    '',
  ].join('\n');
}

/** Starts HAProxy over `ips` with its config in `dir`; resolves { url, port, pid } once it answers 200. */
export async function startHaproxy(dir, label, ips, nbthread, maxconn) {
  const port = await freePort();
  const cfg = path.join(dir, `${label}.cfg`);
  fs.writeFileSync(cfg, haproxyConfig(port, ips, nbthread, maxconn));
  await run(HAPROXY, ['-c', '-q', '-f', cfg], 10_000);
  const child = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = false;
  child.on('close', () => (exited = true));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited) child.kill('SIGKILL');
  };
  onCleanup(stop);
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i++) {
    if (exited) throw new Error(`haproxy exited: ${stderr.trim()}`);
    const ok = await get(url, { timeoutMs: 500 }).then((r) => r.status === 200, () => false);
    if (ok) return { url, port, pid: child.pid, stop };
    await sleep(100);
  }
  throw new Error(`haproxy on ${url} did not answer 200 within 10 s: ${stderr.trim()}`);
}

/** HAProxy's version line. */
export async function haproxyVersion() {
  return (await run(HAPROXY, ['-v'], 10_000)).split('\n')[0];
}
