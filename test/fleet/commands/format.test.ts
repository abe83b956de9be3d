// What `fleet status`, `add` and `remove` print from the daemon's answers, compared as text.
import t from 'tap';
import { memberLine, replacementLine, statusTable, workersTable } from '../../../src/fleet/commands/format.js';
import type { FleetStatus, MemberStatus } from '../../../src/fleet/control/socket/protocol.js';

const member = (n: number, over: Partial<MemberStatus> = {}): MemberStatus => ({
  id: `${n}`.repeat(64),
  name: `fleet-blue-${n}${n}${n}`,
  ip: `172.19.0.${n}`,
  healthy: true,
  state: 'up',
  inflight: 0,
  inSync: true,
  session: 'open',
  ...over,
});

t.test('replacementLine: nothing while replacing is simply on', async (t) => {
  const since = Date.UTC(2026, 11, 5, 21, 4, 9);
  const cases: [FleetStatus['replacement'], string][] = [
    [undefined, ''],
    [{ suspended: null, since: null, held: 0 }, ''],
    [{ suspended: null, since: null, held: 1 }, 'replacing: 1 replacement waiting (backoff or rate limit)\n'],
    [{ suspended: null, since: null, held: 3 }, 'replacing: 3 replacements waiting (backoff or rate limit)\n'],
    [{ suspended: 'failures', since, held: 0 }, 'replacing suspended since 21:04:09 UTC: failures are systemic (failures); the healthy members keep serving\n'],
    [{ suspended: 'engine-slow', since: null, held: 2 }, 'replacing suspended: failures are systemic (engine-slow), 2 replacements waiting; the healthy members keep serving\n'],
    [{ suspended: 'engine-errors', since, held: 1 }, 'replacing suspended since 21:04:09 UTC: failures are systemic (engine-errors), 1 replacement waiting; the healthy members keep serving\n'],
  ];
  for (const [r, line] of cases) t.equal(replacementLine(r), line, JSON.stringify(r));
});

t.test('statusTable: a head line, the members, then the workers', async (t) => {
  const status: FleetStatus = {
    name: 'blue',
    desired: 3,
    port: 8080,
    host: '127.0.0.1',
    image: 'fleet-nginx:offline',
    pid: 1,
    members: [member(2), member(3, { healthy: false, state: 'down', inSync: false, session: 'down', inflight: 4 })],
    workers: [{ slot: 0, pid: 100, state: 'serving', requests: 12, inflight: 1, connections: 2, restarts: 0 }],
    replacement: { suspended: null, since: null, held: 1 },
  };
  t.equal(
    statusTable(status),
    [
      'fleet "blue" on http://127.0.0.1:8080/  desired 3  members 2  image fleet-nginx:offline',
      'replacing: 1 replacement waiting (backoff or rate limit)',
      'NAME             ID             IP           STATE   HEALTHY   LIST      SESSION   IN FLIGHT',
      'fleet-blue-222   222222222222   172.19.0.2   up      yes       current   open      0',
      'fleet-blue-333   333333333333   172.19.0.3   down    no        stale     down      4',
      '',
      'WORKER   PID   STATE     REQUESTS   IN FLIGHT   CONNECTIONS   RESTARTS',
      '0        100   serving   12         1           2             0',
      '',
    ].join('\n'),
  );
});

t.test('an empty fleet and no workers still print their headings', async (t) => {
  t.equal(workersTable([]), 'WORKER   PID   STATE   REQUESTS   IN FLIGHT   CONNECTIONS   RESTARTS\n');
  const text = statusTable({ name: 'x', desired: 1, port: 1, host: '::1', image: 'i', pid: 1, members: [], workers: [] });
  t.ok(text.startsWith(`fleet "x" on http://::1:1/  desired 1  members 0  image i\nNAME `), `no replacement line from an older daemon: ${text}`);
});

t.test('memberLine: name and address', async (t) => {
  t.equal(memberLine(member(4)), 'fleet-blue-444 (172.19.0.4)');
});
