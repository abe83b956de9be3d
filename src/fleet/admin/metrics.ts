// The primary's Prometheus registry (prom-client). Counters of what the control plane does
// are incremented where it happens (the daemon wires the hooks); gauges are read from the
// primary's own state at each scrape; the balancer's request figures come from every
// worker, summed in RequestTotals, and are exported from there.
import { Counter, Gauge, Histogram, type Metric, Registry, collectDefaultMetrics } from 'prom-client';
import { CODE_CLASSES, DURATION_BUCKETS, type RequestFigures } from '../data/request-stats.js';
import type { WorkerStatus } from '../control/types.js';
import { RequestTotals } from './request-totals.js';

/** What the metrics read of the daemon at each scrape. */
export interface MetricsSource {
  members(): readonly { name: string; ip: string; state: string; inflight: number }[];
  desired(): number;
  workers(): readonly WorkerStatus[];
  /** The current list's generation; undefined before the first list (0). */
  generation(): number | undefined;
  /** Replacing: suspended (failures are systemic) or not, and replacements waiting. */
  replacement?(): { suspended: string | undefined; held: number };
}

export type EjectionReason = 'active' | 'passive';
export type ReplacementReason = 'died' | 'unhealthy';
export type RestartReason = 'died' | 'hung' | 'reload';

const MEMBER_STATES = ['pending', 'up', 'down', 'draining'] as const;
const WORKER_STATES = ['starting', 'serving', 'retiring'] as const;
/** List convergence, in seconds: from a few milliseconds (one session) to a minute (250 members by exec). */
const CONVERGENCE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A metric whose series are computed at each scrape from state kept elsewhere. */
class Computed {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly values: () => Sample[],
  ) {}

  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values: this.values(), aggregator: 'sum' });
  }

  reset(): void {}
}

const NOTHING: MetricsSource = { members: () => [], desired: () => 0, workers: () => [], generation: () => undefined };

export class FleetMetrics {
  readonly registry = new Registry();
  readonly requests = new RequestTotals();
  private readonly retries: Counter;
  private readonly ejections: Counter<'reason'>;
  private readonly replacements: Counter<'reason'>;
  private readonly suppressions: Counter;
  private readonly pushes: Counter<'transport' | 'result'>;
  private readonly convergence: Histogram;
  private readonly restarts: Counter<'reason'>;

  /** What the gauges read at each scrape: nothing until `readFrom`. */
  private source: MetricsSource = NOTHING;

  /** The counters count from now; the gauges read `source`, or the parts given to `readFrom` later. */
  constructor(source?: MetricsSource) {
    if (source) this.source = source;
    const registers = [this.registry];
    const read = (): MetricsSource => this.source;
    collectDefaultMetrics({ register: this.registry, prefix: 'fleet_primary_' });
    // Gauges named *_total, which Prometheus's conventions (and promtool) reserve for counters.
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) this.registry.removeSingleMetric(`fleet_primary_nodejs_${name}`);
    const totals = this.requests;
    this.register(
      new Computed('fleet_requests_total', 'Requests answered through the balancer, by member (none: answered by the balancer itself) and status class', 'counter', () => {
        const out: Sample[] = [];
        for (const [member, t] of totals.members()) CODE_CLASSES.forEach((cls, i) => out.push({ value: t.codes[i], labels: { member, code_class: cls } }));
        return out;
      }),
    );
    this.register(
      new Computed('fleet_request_duration_seconds', 'Time from a request to its complete answer through the balancer, by member', 'histogram', () => {
        const out: Sample[] = [];
        for (const [member, t] of totals.members()) {
          let cumulative = 0;
          t.buckets.forEach((n, i) => {
            cumulative += n;
            out.push({ value: cumulative, labels: { member, le: i < DURATION_BUCKETS.length ? DURATION_BUCKETS[i] : '+Inf' }, metricName: 'fleet_request_duration_seconds_bucket' });
          });
          out.push({ value: t.sum, labels: { member }, metricName: 'fleet_request_duration_seconds_sum' });
          out.push({ value: t.count, labels: { member }, metricName: 'fleet_request_duration_seconds_count' });
        }
        return out;
      }),
    );
    this.retries = new Counter({ name: 'fleet_retries_total', help: 'Requests sent again to another member', registers });
    this.ejections = new Counter({ name: 'fleet_member_ejections_total', help: 'Members taken out of rotation for their health: active (a health check) or passive (a failure a worker saw)', labelNames: ['reason'], registers });
    this.replacements = new Counter({ name: 'fleet_member_replacements_total', help: 'Members replaced: died, or unhealthy for too long', labelNames: ['reason'], registers });
    this.suppressions = new Counter({
      name: 'fleet_replacements_suppressed_total',
      help: 'Replacements not started because failures were systemic (many members at once, or the engine erring or slow)',
      registers,
    });
    new Gauge({
      name: 'fleet_replacements_suspended',
      help: 'Whether replacing is suspended now (1): failures are systemic, the healthy members keep serving',
      registers,
      collect() {
        this.set(read().replacement?.().suspended ? 1 : 0);
      },
    });
    new Gauge({
      name: 'fleet_replacements_held',
      help: 'Replacements owed and not started yet: backoff, the rate limit or a suspension',
      registers,
      collect() {
        this.set(read().replacement?.().held ?? 0);
      },
    });
    const members = (): ReturnType<MetricsSource['members']> => read().members();
    new Gauge({
      name: 'fleet_member_up',
      help: 'Whether a member is in rotation (1) or not (0)',
      labelNames: ['member', 'ip'],
      registers,
      collect() {
        this.reset();
        for (const m of members()) this.set({ member: m.name, ip: m.ip }, m.state === 'up' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'fleet_member_requests_in_flight',
      help: 'Requests in flight on a member, every worker together',
      labelNames: ['member'],
      registers,
      collect() {
        this.reset();
        for (const m of members()) this.set({ member: m.name }, m.inflight);
      },
    });
    new Gauge({
      name: 'fleet_members',
      help: 'Members by state',
      labelNames: ['state'],
      registers,
      collect() {
        const list = members();
        for (const state of MEMBER_STATES) this.set({ state }, list.filter((m) => m.state === state).length);
      },
    });
    new Gauge({
      name: 'fleet_members_desired',
      help: 'Members the fleet is asked to run',
      registers,
      collect() {
        this.set(read().desired());
      },
    });
    this.pushes = new Counter({ name: 'fleet_list_pushes_total', help: 'Member lists written into members, by transport (session or one-shot exec) and result', labelNames: ['transport', 'result'], registers });
    this.convergence = new Histogram({ name: 'fleet_list_convergence_seconds', help: 'Time from a change to every member holding its list', buckets: CONVERGENCE_BUCKETS, registers });
    new Gauge({
      name: 'fleet_list_generation',
      help: 'The generation of the current member list',
      registers,
      collect() {
        this.set(read().generation() ?? 0);
      },
    });
    new Gauge({
      name: 'fleet_workers',
      help: 'Balancer worker processes by state',
      labelNames: ['state'],
      registers,
      collect() {
        const list = read().workers();
        for (const state of WORKER_STATES) this.set({ state }, list.filter((w) => w.state === state).length);
      },
    });
    this.restarts = new Counter({ name: 'fleet_worker_restarts_total', help: 'Balancer workers replaced: died, hung or a reload', labelNames: ['reason'], registers });
    // Every series of a bounded label set exists from the start, at 0.
    for (const reason of ['active', 'passive']) this.ejections.inc({ reason }, 0);
    for (const reason of ['died', 'unhealthy']) this.replacements.inc({ reason }, 0);
    for (const reason of ['died', 'hung', 'reload']) this.restarts.inc({ reason }, 0);
    for (const transport of ['session', 'exec']) for (const result of ['ok', 'failed']) this.pushes.inc({ transport, result }, 0);
  }

  /** Where the gauges read from, for a daemon whose parts exist only after its counters do. */
  readFrom(source: MetricsSource): void {
    this.source = source;
  }

  /** The exposition, after members that are gone have left the request metrics. */
  async scrape(): Promise<string> {
    this.requests.prune(new Set(this.source.members().map((m) => m.name)));
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  workerRequests(figures: RequestFigures): void {
    this.requests.add(figures);
    if (figures.retries > 0) this.retries.inc(figures.retries);
  }

  ejected(reason: EjectionReason): void {
    this.ejections.inc({ reason });
  }

  replaced(reason: ReplacementReason): void {
    this.replacements.inc({ reason });
  }

  suppressed(count: number): void {
    this.suppressions.inc(count);
  }

  pushed(transport: 'session' | 'exec', ok: boolean): void {
    this.pushes.inc({ transport, result: ok ? 'ok' : 'failed' });
  }

  converged(ms: number): void {
    this.convergence.observe(ms / 1000);
  }

  workerRestarted(reason: RestartReason): void {
    this.restarts.inc({ reason });
  }

  private register(metric: Computed): void {
    this.registry.registerMetric(metric as unknown as Metric);
  }
}
