// The admin listener of a real daemon on the real engine: its /metrics passes promtool and a
// real Prometheus scrapes it and sees the request counter grow with traffic; /api/status is
// what `fleet status --json` prints; /api/events streams status and, after a member is
// killed, log events that name it. A port in use is one line and leaves nothing behind.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { requireTool } from '../../support.js';
import { converged, docker, fleet, fleetName, freePort, get, registerCleanup, requireEngine, up } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function fetchText(port: number, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathname, agent: false, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function promtool(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }));
    child.stdin?.end(text);
  });
}

interface LogEvent {
  event: string;
  fields: { member?: string };
}

/** Events of an SSE stream as they come. */
function events(port: number): { seen: { event: string; data: unknown }[]; close(): void } {
  const seen: { event: string; data: unknown }[] = [];
  let buffer = '';
  const req = http.get({ host: '127.0.0.1', port, path: '/api/events', agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) seen.push({ event, data: JSON.parse(data) });
      }
    });
  });
  req.on('error', () => {});
  return { seen, close: () => req.destroy() };
}

async function until(condition: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(200);
  }
  return condition();
}

t.test('a daemon with its admin listener', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'adm', 2, ['--workers', '2']);
  await converged(d.name, 2);
  t.ok(d.adminPort > 0, 'the harness gave it an admin port');

  t.test('/metrics passes promtool', async (t) => {
    if (!(await requireTool(t, 'promtool', 'prometheus'))) return;
    for (let i = 0; i < 20; i++) await get('127.0.0.1', d.port);
    await sleep(600);
    const metrics = await fetchText(d.adminPort, '/metrics');
    t.equal(metrics.status, 200);
    t.match(metrics.body, /^fleet_requests_total\{member="fleet-[^"]+",code_class="2xx"\} \d+$/m, 'requests through the workers are counted per member');
    const lint = await promtool(metrics.body);
    t.equal(lint.code, 0, `promtool check metrics accepts it${lint.output ? `:\n${lint.output}` : ''}`);
  });

  t.test('/api/status is what fleet status --json prints', async (t) => {
    // Both at rest: the same state, asked twice (a beat may fall between, so a few tries).
    let same = false;
    let last = '';
    for (let i = 0; i < 5 && !same; i++) {
      const [api, cli] = await Promise.all([fetchText(d.adminPort, '/api/status'), fleet(['status', '--json', '--name', d.name])]);
      same = JSON.stringify(JSON.parse(api.body)) === JSON.stringify(JSON.parse(cli.stdout));
      last = `${api.body}\n${cli.stdout}`;
    }
    t.ok(same, `the same JSON${same ? '' : `:\n${last}`}`);
  });

  t.test('a real Prometheus scrapes the admin port and sees the counter grow', async (t) => {
    if (!(await requireTool(t, 'prometheus', 'prometheus'))) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-prom-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const promPort = await freePort();
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: fleet\n    static_configs:\n      - targets: ['127.0.0.1:${d.adminPort}']\n`,
    );
    const prom: ChildProcess = spawn(
      'prometheus',
      [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let promLog = '';
    prom.stderr?.on('data', (chunk: Buffer) => (promLog += chunk.toString()));
    t.teardown(() => {
      prom.kill('SIGKILL');
    });
    const query = async (): Promise<number | undefined> => {
      try {
        const answer = await fetchText(promPort, `/api/v1/query?query=${encodeURIComponent('sum(fleet_requests_total)')}`);
        const result = (JSON.parse(answer.body) as { data?: { result?: { value: [number, string] }[] } }).data?.result?.[0];
        return result ? Number(result.value[1]) : undefined;
      } catch {
        return undefined;
      }
    };
    let before: number | undefined;
    t.ok(await until(async () => (before = await query()) !== undefined, 60_000), `Prometheus has scraped the daemon${before === undefined ? `: ${promLog}` : ''}`);
    for (let i = 0; i < 200; i++) await get('127.0.0.1', d.port);
    let after: number | undefined;
    const grew = await until(async () => {
      after = await query();
      return after !== undefined && before !== undefined && after >= before + 200;
    }, 30_000);
    t.ok(grew, `sum(fleet_requests_total) grew by the 200 requests sent (${before} -> ${after})`);
  });

  t.test('/api/events streams status, and log events naming a killed member', async (t) => {
    const stream = events(d.adminPort);
    t.teardown(() => stream.close());
    t.ok(await until(() => stream.seen.some((e) => e.event === 'status'), 5_000), 'a status event arrives');
    const first = stream.seen.find((e) => e.event === 'status')?.data as { status: { members: { id: string; name: string }[] }; totals: object; members: object };
    t.equal(first.status.members.length, 2, 'it carries the fleet status');
    t.hasProps(first.totals, ['rps', 'p50', 'p99', 'inflight', 'requests']);
    t.same(Object.keys(first.members).sort(), first.status.members.map((m) => m.id).sort(), 'rates for every member, by id');
    const victim = first.status.members[0];
    await docker('kill', victim.id);
    const named = (): boolean => stream.seen.some((e) => e.event === 'log' && (e.data as LogEvent).fields.member === victim.name);
    t.ok(await until(named, 20_000), `a log event names ${victim.name}`);
    const told: string[] = stream.seen.filter((e) => e.event === 'log' && (e.data as LogEvent).fields.member === victim.name).map((e) => (e.data as LogEvent).event);
    t.ok(told.includes('member.replacing') || told.includes('member.state'), `its death is told (${told.join(', ')})`);
    await converged(d.name, 2);
    const metrics = await fetchText(d.adminPort, '/metrics');
    t.match(metrics.body, /^fleet_member_replacements_total\{reason="died"\} [1-9]/m, 'the replacement is counted');
    t.notMatch(metrics.body, new RegExp(`member="${victim.name}"`), 'the dead member left every series');
  });
});

t.test('an admin port in use is one line, and leaves nothing behind', async (t) => {
  if (!(await requireEngine(t))) return;
  const name = fleetName('admbusy');
  registerCleanup(t, name);
  const blocker = http.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const adminPort = (blocker.address() as { port: number }).port;
  const port = await freePort();
  const result = await fleet(['up', '--name', name, '--port', String(port), '--admin-port', String(adminPort), '--image', process.env.FLEET_TEST_IMAGE ?? 'fleet-nginx:offline', '--replicas', '1']);
  t.equal(result.code, 1);
  t.match(result.stderr, new RegExp(`^Error: admin port ${adminPort} is already in use on 127\\.0\\.0\\.1 \\(choose another with --admin-port, or --no-admin\\)\\n$`), 'one line naming the admin port');
  t.equal(await docker('ps', '-aq', '--filter', `label=io.fleet.name=${name}`), '', 'no member started');
  t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${name}$`), '', 'no network made');
  const free = await fetchText(port, '/').then(
    () => false,
    () => true,
  );
  t.ok(free, "nobody listens on the balancer's port");
  t.equal((await fleet(['status', '--name', name])).code, 1, 'no daemon answers');
});
