// Plain-text rendering of what the daemon answers.
import { formatTable } from '../../cli/table.js';
import type { FleetStatus, MemberStatus } from '../control/types.js';

export function statusTable(status: FleetStatus): string {
  const head = `fleet "${status.name}" on http://${status.host}:${status.port}/  desired ${status.desired}  members ${status.members.length}  image ${status.image}\n`;
  const rows = [['NAME', 'ID', 'IP', 'STATE', 'HEALTHY', 'LIST', 'SESSION', 'IN FLIGHT']];
  for (const m of status.members) {
    rows.push([m.name, m.id.slice(0, 12), m.ip, m.state, m.healthy ? 'yes' : 'no', m.inSync ? 'current' : 'stale', m.session, String(m.inflight)]);
  }
  return head + replacementLine(status.replacement) + formatTable(rows, { minWidth: 0 }) + '\n' + workersTable(status.workers);
}

/** A line only when replacing is not simply on: suspended (and why), or replacements waiting. */
export function replacementLine(r: FleetStatus['replacement']): string {
  if (!r) return '';
  const held = r.held ? `, ${r.held} replacement${r.held === 1 ? '' : 's'} waiting` : '';
  if (r.suspended) {
    const since = r.since === null ? '' : ` since ${new Date(r.since).toISOString().slice(11, 19)} UTC`;
    return `replacing suspended${since}: failures are systemic (${r.suspended})${held}; the healthy members keep serving\n`;
  }
  return r.held ? `replacing: ${r.held} replacement${r.held === 1 ? '' : 's'} waiting (backoff or rate limit)\n` : '';
}

export function workersTable(workers: FleetStatus['workers']): string {
  const rows = [['WORKER', 'PID', 'STATE', 'REQUESTS', 'IN FLIGHT', 'CONNECTIONS', 'RESTARTS']];
  for (const w of workers) rows.push([String(w.slot), String(w.pid), w.state, String(w.requests), String(w.inflight), String(w.connections), String(w.restarts)]);
  return formatTable(rows, { minWidth: 0 });
}

export function memberLine(m: MemberStatus): string {
  return `${m.name} (${m.ip})`;
}
