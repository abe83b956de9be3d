// keepalived failover of the client-facing address (deploy/keepalived/keepalived.conf) on
// two edge nodes of scripts/vrrp-lab.sh, under a steady stream of new clients: a request
// on a new connection every BENCH_GAP_MS, each given BENCH_TIMEOUT_MS. Two faults:
//   lost          the VIP's node is lost (link down, every process SIGKILLed)
//   stops-serving the node lives but its balancer dies (keepalived's check fails)
// For each: how long after the fault the first request that the other node answered was
// sent (the window clients see), and how many requests failed. p50 over BENCH_REPS.
//   sudo npm run bench:failover                     (root: namespaces, a bridge)
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fmt, median, table } from './lib/stats.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const LAB = path.join(ROOT, 'scripts', 'vrrp-lab.sh');
const REPS = Number(process.env.BENCH_REPS ?? 5);
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 20);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 1000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const lab = (...args) => execFileSync(LAB, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

/** One request on a new connection: the node that answered, or null. */
function probe(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}

async function once(fault) {
  lab('up');
  try {
    const url = `http://${lab('vip')}:8080/`;
    const before = lab('holder');
    const results = [];
    let faultAt = Infinity;
    let stop = false;
    const stream = (async () => {
      const inflight = new Set();
      while (!stop) {
        const sent = performance.now();
        const p = probe(url).then((node) => results.push({ sent, node }));
        inflight.add(p);
        p.finally(() => inflight.delete(p));
        await sleep(GAP_MS);
      }
      await Promise.all(inflight);
    })();
    await sleep(1000);
    faultAt = performance.now();
    lab(fault === 'lost' ? 'lose' : 'stop-serving', before);
    // Until the other node has answered for a second, or 15 s.
    for (const deadline = faultAt + 15_000; performance.now() < deadline; await sleep(100)) {
      const other = results.filter((r) => r.sent > faultAt && r.node && r.node !== before);
      if (other.length && performance.now() - Math.min(...other.map((r) => r.sent)) > 1000) break;
    }
    stop = true;
    await stream;
    const after = results.filter((r) => r.sent >= faultAt);
    const firstOther = Math.min(...after.filter((r) => r.node && r.node !== before).map((r) => r.sent));
    return {
      windowMs: firstOther - faultAt,
      failed: after.filter((r) => !r.node).length,
      sent: after.length,
      holder: lab('holder'),
      before,
    };
  } finally {
    lab('down');
  }
}

const rows = [];
for (const fault of ['lost', 'stops-serving']) {
  const runs = [];
  for (let i = 0; i < REPS; i++) {
    const run = await once(fault);
    console.error(`failover: ${fault} #${i + 1}: ${fmt(run.windowMs)} ms, ${run.failed} of ${run.sent} failed, VIP ${run.before} -> ${run.holder}`);
    runs.push(run);
  }
  rows.push([
    fault,
    `${fmt(median(runs.map((r) => r.windowMs)))} ms`,
    `${fmt(Math.min(...runs.map((r) => r.windowMs)))}–${fmt(Math.max(...runs.map((r) => r.windowMs)))} ms`,
    fmt(median(runs.map((r) => r.failed))),
    runs.every((r) => r.holder !== r.before && r.holder !== 'none') ? 'yes' : 'NO',
  ]);
}
console.log(`keepalived failover, ${REPS} runs each, a new connection every ${GAP_MS} ms (timeout ${TIMEOUT_MS} ms)\n`);
console.log(table(['fault', 'window p50', 'min–max', 'failed p50', 'VIP moved every time'], rows));
