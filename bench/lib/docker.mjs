// The few Docker Engine API calls the benchmarks need, straight over the engine's unix
// socket: a `docker` CLI call costs ~70 ms here, an API call a few ms.
import http from 'node:http';

function socketPath() {
  const host = process.env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  throw new Error(`the benchmarks only talk to a unix-socket engine (DOCKER_HOST=${host})`);
}

export function dockerApi(method, path, { timeoutMs = 15_000, body } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const req = http.request({ socketPath: socketPath(), method, path, agent: false, timeout: timeoutMs, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode >= 300) {
          reject(new Error(`docker ${method} ${path}: ${res.statusCode} ${text.trim()}`));
          return;
        }
        try {
          resolve(text ? JSON.parse(text) : null);
        } catch {
          resolve(text);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`docker ${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * The fleet's containers as the engine lists them: id, name, running, and the IP on the
 * fleet's own network (`fleet-<name>`).
 */
export async function listMembers(fleet, { all = false } = {}) {
  const filters = encodeURIComponent(JSON.stringify({ label: [`io.fleet.name=${fleet}`] }));
  const list = await dockerApi('GET', `/containers/json?all=${all ? 1 : 0}&filters=${filters}`);
  return list.map((c) => {
    const nets = c.NetworkSettings?.Networks ?? {};
    const net = nets[`fleet-${fleet}`] ?? Object.values(nets)[0];
    return { id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, ''), running: c.State === 'running', ip: net?.IPAddress || undefined };
  });
}

/** Running members' IPs, sorted as the members sort their list. */
export async function runningIps(fleet) {
  return sortIps((await listMembers(fleet)).filter((c) => c.running && c.ip).map((c) => c.ip));
}

export function sortIps(ips) {
  const num = (ip) => ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  return [...ips].sort((a, b) => num(a) - num(b));
}

export function killContainer(id) {
  return dockerApi('POST', `/containers/${id}/kill`);
}

/** Last resort cleanup: force-remove a fleet's containers and network (only ones labelled with this fleet). */
export async function forceRemoveFleet(fleet) {
  const members = await listMembers(fleet, { all: true }).catch(() => []);
  await Promise.allSettled(members.map((c) => dockerApi('DELETE', `/containers/${c.id}?force=1`)));
  await dockerApi('DELETE', `/networks/fleet-${fleet}`).catch(() => {});
  return members.length;
}

/**
 * Follows the engine's `start` events of this fleet's containers; calls onStart({ id, ip })
 * with the IP from an inspect. Returns a function that stops following.
 */
export function followStarts(fleet, onStart) {
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'], event: ['start'], label: [`io.fleet.name=${fleet}`] }));
  const req = http.request({ socketPath: socketPath(), method: 'GET', path: `/events?filters=${filters}`, agent: false }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        let event;
        try {
          event = JSON.parse(line);
        } catch {
          continue;
        }
        const id = event.id ?? event.Actor?.ID;
        if (!id) continue;
        dockerApi('GET', `/containers/${id}/json`)
          .then((c) => {
            const nets = c.NetworkSettings?.Networks ?? {};
            const net = nets[`fleet-${fleet}`] ?? Object.values(nets)[0];
            onStart({ id, ip: net?.IPAddress || undefined });
          })
          .catch(() => {});
      }
    });
    res.on('error', () => {});
  });
  req.on('error', () => {});
  req.end();
  return () => req.destroy();
}
