// Plain-text rendering of what the daemon answers.
import type { FleetStatus, MemberStatus } from '../control/protocol.js';

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] + 3))).join('').trimEnd() + '\n').join('');
}

export function statusTable(status: FleetStatus): string {
  const head = `fleet "${status.name}" on http://${status.host}:${status.port}/  desired ${status.desired}  members ${status.members.length}  image ${status.image}\n`;
  const rows = [['NAME', 'ID', 'IP', 'STATE', 'HEALTHY', 'LIST', 'IN FLIGHT']];
  for (const m of status.members) {
    rows.push([m.name, m.id.slice(0, 12), m.ip, m.state, m.healthy ? 'yes' : 'no', m.inSync ? 'current' : 'stale', String(m.inflight)]);
  }
  return head + table(rows);
}

export function memberLine(m: MemberStatus): string {
  return `${m.name} (${m.ip})`;
}
