// The leveled logger both tools share: `log.info('fleet.ready', { fleet, url })`, a stable
// event name and its fields. It writes to a destination that never throws and never waits
// (stderr in practice, never stdout, so a tool's output stays clean for pipes), and logging
// never throws either: a line that cannot be made or written is lost and counted.
import { type LogLevel, atLeast } from './log/levels.js';
import { type LineStream, type LogDestination, StreamDestination } from './log/destination.js';
import { type JsonEncoder, type LogFields, plainJson, recordFields, textLine } from './log/record.js';

export { LOG_LEVELS, type LogLevel, parseLogLevel } from './log/levels.js';
export type { LogDestination, LineStream } from './log/destination.js';
export type { LogFields, LogValue } from './log/record.js';

/** Told of every event logged (whatever the level), with its own fields, e.g. by a live feed. */
export type LogListener = (level: LogLevel, event: string, fields: LogFields) => void;

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go. */
  destination?: LogDestination;
  /** Or a stream, wrapped in a bounded destination that turns its errors into lost lines. */
  stream?: LineStream;
  /** `text` is `time LEVEL event k=v…`; `json` is one object per line for log shippers. */
  format?: 'text' | 'json';
  /** Encodes `json` lines (the daemon passes pino's); plain JSON.stringify by default. */
  json?: JsonEncoder;
  /** Fields every line carries, before its own (a worker's number, say). */
  bindings?: LogFields;
  now?: () => Date;
}

export class Logger {
  readonly level: LogLevel;
  readonly destination: LogDestination;
  private readonly format: 'text' | 'json';
  private readonly json: JsonEncoder;
  private readonly bindings: LogFields;
  private readonly now: () => Date;

  // `counts` and `listeners` are shared with the logger's children.
  constructor(
    options: LoggerOptions,
    private readonly counts = { unencodable: 0, reported: 0 },
    private readonly listeners: LogListener[] = [],
  ) {
    const destination = options.destination ?? (options.stream && new StreamDestination(options.stream));
    if (!destination) throw new TypeError('a Logger needs a destination or a stream');
    this.level = options.level;
    this.destination = destination;
    this.format = options.format ?? 'text';
    this.json = options.json ?? plainJson;
    this.bindings = options.bindings ?? {};
    this.now = options.now ?? (() => new Date());
  }

  /** A logger whose lines all carry `bindings`; it shares this one's destination and counts. */
  child(bindings: LogFields): Logger {
    const options = { level: this.level, destination: this.destination, format: this.format, json: this.json, bindings: { ...this.bindings, ...bindings }, now: this.now };
    return new Logger(options, this.counts, this.listeners);
  }

  /** Adds a listener; returns what removes it. A listener that throws loses its event, never the caller's. */
  subscribe(listener: LogListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Lines lost so far: not written (a dead or full destination) or impossible to encode. */
  get dropped(): number {
    return this.destination.dropped + this.counts.unencodable;
  }

  enabled(level: LogLevel): boolean {
    return atLeast(level, this.level);
  }

  debug(event: string, fields?: LogFields): void {
    this.log('DEBUG', event, fields);
  }

  info(event: string, fields?: LogFields): void {
    this.log('INFO', event, fields);
  }

  warn(event: string, fields?: LogFields): void {
    this.log('WARNING', event, fields);
  }

  error(event: string, fields?: LogFields): void {
    this.log('ERROR', event, fields);
  }

  log(level: LogLevel, event: string, fields: LogFields = {}): void {
    if (this.listeners.length > 0) this.tell(level, event, fields);
    if (!this.enabled(level)) return;
    this.reportLost();
    this.emit(level, event, fields);
  }

  private emit(level: LogLevel, event: string, fields: LogFields): void {
    let line: string;
    try {
      const record = recordFields({ ...this.bindings, ...fields }, this.level === 'DEBUG');
      line = this.format === 'json' ? this.json(this.now(), level, event, record) : textLine(this.now(), level, event, record);
    } catch {
      this.counts.unencodable++;
      return;
    }
    this.destination.write(line);
  }

  private tell(level: LogLevel, event: string, fields: LogFields): void {
    for (const listener of this.listeners) {
      try {
        listener(level, event, fields);
      } catch {
        // The listener loses this event; the line is still written.
      }
    }
  }

  // Once the destination takes lines again after losing some, say how many went missing.
  private reportLost(): void {
    const lost = this.dropped - this.counts.reported;
    if (lost <= 0 || this.destination.backlog > 0 || this.destination.failed !== undefined) return;
    this.counts.reported += lost;
    if (this.enabled('WARNING')) this.emit('WARNING', 'log.dropped', { lines: lost, total: this.dropped });
  }
}
