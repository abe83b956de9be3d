// The primary's exposition: the workers' figures summed, gauges from the daemon's state,
// members that are gone gone from it too, and all of it valid for promtool.
import { execFile } from 'node:child_process';
import t from 'tap';
import { FleetMetrics, type MetricsSource } from '../../../src/fleet/admin/metrics.js';
import { emptyFigures } from '../../../src/fleet/data/request-stats.js';
import { requireTool } from '../../support.js';

type SourceMember = ReturnType<MetricsSource['members']>[number];

function source(members: SourceMember[]): MetricsSource & { members(): SourceMember[] } {
  return {
    members: () => members,
    desired: () => members.length,
    workers: () => [
      { slot: 0, pid: 10, state: 'serving', requests: 0, inflight: 0, connections: 0, restarts: 0 },
      { slot: 1, pid: 11, state: 'starting', requests: 0, inflight: 0, connections: 0, restarts: 1 },
    ],
    generation: () => 7,
  };
}

function answered(n: number, cls: number, bucket: number) {
  const f = emptyFigures();
  f.codes[cls] = n;
  f.buckets[bucket] = n;
  f.sum = n * 0.004;
  return f;
}

/** The value of one series line, e.g. `fleet_members{state="up"}`. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function promtool(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }));
    child.stdin?.end(text);
  });
}

t.test('figures from two workers are summed per member; gauges come from the state', async (t) => {
  const members: SourceMember[] = [
    { name: 'm-a', ip: '10.0.0.1', state: 'up', inflight: 3 },
    { name: 'm-b', ip: '10.0.0.2', state: 'down', inflight: 0 },
  ];
  const metrics = new FleetMetrics(source(members));
  metrics.workerRequests({ retries: 1, members: { 'm-a': answered(5, 1, 2), none: answered(1, 4, 0) } });
  metrics.workerRequests({ retries: 2, members: { 'm-a': answered(4, 1, 3), 'm-b': answered(2, 4, 12) } });
  metrics.ejected('passive');
  metrics.replaced('died');
  metrics.pushed('session', true);
  metrics.pushed('exec', false);
  metrics.converged(120);
  metrics.workerRestarted('hung');
  const text = await metrics.scrape();
  const rows: [string, number][] = [
    ['fleet_requests_total{member="m-a",code_class="2xx"}', 9],
    ['fleet_requests_total{member="m-b",code_class="5xx"}', 2],
    ['fleet_requests_total{member="none",code_class="5xx"}', 1],
    ['fleet_request_duration_seconds_bucket{member="m-a",le="0.005"}', 5],
    ['fleet_request_duration_seconds_bucket{member="m-a",le="0.01"}', 9],
    ['fleet_request_duration_seconds_bucket{member="m-a",le="+Inf"}', 9],
    ['fleet_request_duration_seconds_count{member="m-a"}', 9],
    ['fleet_retries_total', 3],
    ['fleet_member_up{member="m-a",ip="10.0.0.1"}', 1],
    ['fleet_member_up{member="m-b",ip="10.0.0.2"}', 0],
    ['fleet_member_requests_in_flight{member="m-a"}', 3],
    ['fleet_members{state="up"}', 1],
    ['fleet_members{state="down"}', 1],
    ['fleet_members{state="draining"}', 0],
    ['fleet_members_desired', 2],
    ['fleet_member_ejections_total{reason="passive"}', 1],
    ['fleet_member_ejections_total{reason="active"}', 0],
    ['fleet_member_replacements_total{reason="died"}', 1],
    ['fleet_list_pushes_total{transport="session",result="ok"}', 1],
    ['fleet_list_pushes_total{transport="exec",result="failed"}', 1],
    ['fleet_list_convergence_seconds_count', 1],
    ['fleet_list_generation', 7],
    ['fleet_workers{state="serving"}', 1],
    ['fleet_workers{state="starting"}', 1],
    ['fleet_worker_restarts_total{reason="hung"}', 1],
  ];
  for (const [series, expected] of rows) t.equal(value(text, series), expected, `${series} is ${expected}`);
  t.match(text, /^fleet_primary_process_cpu_seconds_total /m, "the primary's process metrics are there, prefixed");

  members.splice(1, 1);
  const after = await metrics.scrape();
  t.notMatch(after, /m-b/, 'a member that is gone leaves every series');
  t.equal(value(after, 'fleet_requests_total{member="m-a",code_class="2xx"}'), 9, 'the others stay');

  if (!(await requireTool(t, 'promtool', 'prometheus'))) return;
  const lint = await promtool(text);
  t.equal(lint.code, 0, `promtool check metrics accepts it${lint.output ? `: ${lint.output}` : ''}`);
});
