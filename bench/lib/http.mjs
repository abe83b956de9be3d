// GET a member's list straight from its own IP, over a kept-alive connection.
import http from 'node:http';

/** Where a member's nginx listens inside its container (MEMBER_PORT in src/fleet/config.ts). */
export const MEMBER_PORT = 8080;

/** A member's list, straight from its own address (`port`: where that build's members listen). */
export function memberUrl(ip, port = MEMBER_PORT) {
  return `http://${ip}:${port}/`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });

/** Resolves { status, body, servedBy } or rejects on a network error or timeout. */
export function get(url, { timeoutMs = 500 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: timeoutMs, headers: { 'cache-control': 'no-cache' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body, servedBy: res.headers['x-served-by'] }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The IPs of a list body, in the order served. */
export function parseList(body) {
  return body.split('\n').map((l) => l.trim()).filter(Boolean);
}

export function closeAgent() {
  agent.destroy();
}
