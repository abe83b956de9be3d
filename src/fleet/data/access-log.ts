// The balancer's optional access log (`fleet up --access-log`): one line per finished
// request, written by each worker through a non-blocking destination (a stalled reader or a
// full disk loses lines, counted, and never holds a request). The format follows
// --log-format: text for people, one JSON object per line for shippers.
import fs from 'node:fs';
import type { LogDestination } from '../../log/destination.js';
import { FdDestination, stdioDestination } from '../../log/fd-destination.js';
import type { RequestDone } from './request-done.js';

export type AccessLogFormat = 'text' | 'json';

/** `-` is the process's stdout. */
export const STDOUT = '-';

// A path is written bare when it holds nothing a reader would split on.
function field(value: string): string {
  return /^[\x21-\x7e]+$/.test(value) && !value.includes('"') ? value : JSON.stringify(value);
}

/** One line: `time client method path status bytes ms member` (text) or a JSON object. */
export function accessLine(time: Date, info: RequestDone, format: AccessLogFormat): string {
  const ms = Math.round(info.durationMs * 1000) / 1000;
  if (format === 'json') {
    return (
      JSON.stringify({
        time: time.toISOString(),
        event: 'http.access',
        client: info.client,
        method: info.method,
        path: info.path,
        status: info.status,
        bytes: info.bytes,
        durationMs: ms,
        member: info.member ?? null,
      }) + '\n'
    );
  }
  return `${time.toISOString()} ${field(info.client || '-')} ${field(info.method)} ${field(info.path)} ${info.status} ${info.bytes} ${ms} ${info.member ?? '-'}\n`;
}

/** Where the log goes: stdout for `-`, else the file, appended to (workers share it line by line). */
export function accessLogDestination(target: string): LogDestination {
  if (target === STDOUT) return stdioDestination(process.stdout);
  // O_APPEND: each line is one write(2) at the end of the file, whichever worker writes it.
  return new FdDestination(fs.openSync(target, 'a'));
}

/**
 * The balancer's hook that writes each finished request to `destination`. The lines of one
 * turn of the event loop go out in one write (a system call per request costs more than the
 * line); what is pending when the process exits goes out first.
 */
export function accessLogger(destination: LogDestination, format: AccessLogFormat): (info: RequestDone) => void {
  let pending = '';
  const flush = (): void => {
    if (pending === '') return;
    const lines = pending;
    pending = '';
    destination.write(lines);
  };
  process.once('exit', flush);
  return (info) => {
    if (pending === '') setImmediate(flush);
    pending += accessLine(new Date(), info, format);
  };
}
