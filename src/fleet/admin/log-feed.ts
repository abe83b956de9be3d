// The daemon's notable log events as the live feed sends them: membership, health,
// replacements, lists, workers and the fleet's own start and stop, plus every warning and
// error. The last ones are kept for a client that connects later.
import type { LogFields, LogLevel } from '../../log.js';
import { type RecordFields, recordFields } from '../../log/record.js';

export interface LogEntry {
  time: string;
  level: LogLevel;
  event: string;
  fields: RecordFields;
}

/** Events kept for replay. */
export const LOG_REPLAY = 100;

const NOTABLE = /^(member|worker|workers|fleet)\.|^list\.(converged|push_failed)$/;

/** Whether an event goes to the feed. */
export function notable(level: LogLevel, event: string): boolean {
  if (level === 'DEBUG') return false;
  return level === 'WARNING' || level === 'ERROR' || NOTABLE.test(event);
}

export class LogFeed {
  private readonly kept: LogEntry[] = [];
  private readonly listeners = new Set<(entry: LogEntry) => void>();

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly size = LOG_REPLAY,
  ) {}

  /** A Logger listener (see Logger.subscribe). */
  readonly listener = (level: LogLevel, event: string, fields: LogFields): void => {
    if (!notable(level, event)) return;
    const entry: LogEntry = { time: this.now().toISOString(), level, event, fields: recordFields(fields, false) };
    this.kept.push(entry);
    if (this.kept.length > this.size) this.kept.shift();
    for (const listener of this.listeners) listener(entry);
  };

  /** The events kept, oldest first. */
  recent(): readonly LogEntry[] {
    return this.kept;
  }

  onEntry(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
