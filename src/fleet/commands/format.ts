// Plain-text rendering of what the daemon answers.
import { formatTable } from '../../cli/table.js';
import type { FleetStatus, MemberStatus } from '../control/types.js';
import type { StackStatus, StackTask } from '../swarm/stack-status.js';

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

/** `fleet status --stack`: a head line, then one row per task by node (members, the agent, the balancer). */
export function stackTable(status: StackStatus): string {
  const update = status.update ? `  update ${status.update}` : '';
  const list = status.list ? `  list ${status.list.generation} of ${status.list.members}` : '';
  const head = `stack "${status.stack}": members ${status.running} of ${status.desired} running  image ${status.image}${update}${list}\n`;
  const rows = [['NODE', 'TASK', 'STATE', 'CONTAINER', 'IP', 'LIST', 'IMAGE']];
  const state = (task: StackTask): string => (task.desired === task.state ? task.state : `${task.state} (to ${task.desired})`) + (task.error ? `: ${task.error}` : '');
  const held = (task: StackTask): string => {
    if (task.list === undefined) return '';
    if (task.list === null) return 'none';
    return status.list && task.list < status.list.generation ? `${task.list} (stale)` : String(task.list);
  };
  for (const node of status.nodes) {
    const what = [node.role + (node.leader ? ', leader' : ''), node.state, node.availability, ...(node.edge ? ['edge'] : [])].join(', ');
    rows.push([node.hostname, `(${what})`, '', '', '', '', '']);
    for (const task of [...node.members, ...node.agents, ...node.balancers]) rows.push(['', task.name, state(task), task.container, task.ip, held(task), task.image]);
    if (!node.agents.length) rows.push(['', 'no agent', '', '', '', '', '']);
  }
  // A node's row leaves the task columns empty: no padding after its text.
  const table = formatTable(rows, { minWidth: 0 }).split('\n').map((line) => line.trimEnd()).join('\n');
  return head + table + '\n';
}
