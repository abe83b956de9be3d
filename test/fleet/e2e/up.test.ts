import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { socketPath } from '../../../src/fleet/names.js';
import { IMAGE, converged, docker, fleet, freePort, get, inspectMembers, lines, requireEngine, sortIps, up } from './harness.js';

t.test('a fleet of 3', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'up', 3);

  t.test('serves exactly the IPs docker inspect reports, from every member', async (t) => {
    const ips = await converged(d.name, 3);
    t.same(sortIps((await inspectMembers(d.name)).values()), ips, 'three running members');
    const answer = await get('127.0.0.1', d.port);
    t.equal(answer.status, 200);
    t.same(lines(answer.body), ips, 'the balancer answers with the member list');
    t.ok(ips.includes(answer.servedBy), 'X-Served-By names a member');
  });

  t.test('round robin spreads requests evenly by X-Served-By', async (t) => {
    const counts = new Map<string, number>();
    const failed: number[] = [];
    for (let i = 0; i < 300; i++) {
      const answer = await get('127.0.0.1', d.port);
      if (answer.status !== 200) failed.push(answer.status);
      counts.set(answer.servedBy, (counts.get(answer.servedBy) ?? 0) + 1);
    }
    t.same(failed, [], 'every request succeeds');
    t.equal(counts.size, 3, 'all three members served');
    t.same([...counts.values()], [100, 100, 100], 'each served exactly a third');
  });

  t.test('status --json follows the contract', async (t) => {
    const result = await fleet(['status', '--json', '--name', d.name]);
    t.equal(result.code, 0);
    const status = JSON.parse(result.stdout) as { name: string; desired: number; port: number; members: { id: string; name: string; ip: string; healthy: boolean }[] };
    t.equal(status.name, d.name);
    t.equal(status.desired, 3);
    t.equal(status.port, d.port);
    const members = await inspectMembers(d.name);
    t.same(new Set(status.members.map((m) => m.id)), new Set(members.keys()), 'the members are the running containers');
    for (const m of status.members) {
      t.equal(m.ip, members.get(m.id), `${m.name} has the IP docker reports`);
      t.equal(m.healthy, true, `${m.name} is healthy`);
    }
    const table = await fleet(['status', '--name', d.name]);
    t.match(table.stdout, /NAME\s+ID\s+IP\s+STATE/, 'the table has a header');
  });

  t.test('the control socket is owner-only, in an owner-only directory', async (t) => {
    const socket = socketPath(d.name);
    t.equal(fs.statSync(socket).mode & 0o777, 0o600, 'the socket is 0600');
    t.equal(fs.statSync(path.dirname(socket)).mode & 0o777, 0o700, 'its directory is 0700');
    t.ok(fs.statSync(socket).isSocket(), 'it is a unix socket, not a network port');
  });

  t.test('a second fleet up for the same fleet is a clear error', async (t) => {
    const result = await fleet(['up', '--name', d.name, '--port', String(await freePort()), '--image', IMAGE]);
    t.not(result.code, 0);
    t.match(result.stderr, /^Error: fleet "\S+" is already running \(its daemon answers on \S+\)\n$/, 'one line naming the problem');
    t.equal((await inspectMembers(d.name)).size, 3, 'the running fleet is untouched');
  });

  t.test('a port in use is a clear error that leaves nothing behind', async (t) => {
    // Its own admin port: only the balancer's is taken.
    const result = await fleet(['up', '--name', `${d.name}p`, '--port', String(d.port), '--image', IMAGE, '--admin-port', String(await freePort())]);
    t.not(result.code, 0);
    t.equal(result.stderr, `Error: port ${d.port} is already in use on 127.0.0.1\n`);
    t.equal(await docker('ps', '-aq', '--filter', `label=io.fleet.name=${d.name}p`), '', 'no container made');
    t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${d.name}p$`), '', 'no network made');
  });

  t.test('down leaves no container and no network behind', async (t) => {
    const result = await fleet(['down', '--name', d.name]);
    t.equal(result.code, 0);
    t.match(result.stdout, /removed 3 containers and its network/);
    t.equal(await d.exited, 0, 'the daemon exited cleanly');
    t.equal(await docker('ps', '-aq', '--filter', `label=io.fleet.name=${d.name}`), '', 'no container left');
    t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${d.name}$`), '', 'no network left');
  });
});

t.test('a second fleet up on the same port says the fleet runs, not that the port is taken', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'twice', 1);
  const result = await fleet(['up', '--name', d.name, '--port', String(d.port), '--image', IMAGE]);
  t.equal(result.code, 1);
  t.match(result.stderr, /^Error: fleet "\S+" is already running/);
});
