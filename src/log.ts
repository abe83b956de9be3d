// A leveled logger for both tools. It writes to the stream it is given (stderr in
// practice), never to stdout, so a tool's output stays clean for pipes.

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Writable {
  write(chunk: string): unknown;
}

export interface LoggerOptions {
  level: LogLevel;
  stream: Writable;
  /** `text` is `time LEVEL event k=v…`; `json` is one object per line for log shippers. */
  format?: 'text' | 'json';
  now?: () => Date;
}

/** Reads a level name in any case (`warn` and `warning` alike); undefined when it is not one. */
export function parseLogLevel(input: string): LogLevel | undefined {
  const upper = input.trim().toUpperCase();
  if (upper === 'WARN') return 'WARNING';
  return (LOG_LEVELS as readonly string[]).includes(upper) ? (upper as LogLevel) : undefined;
}

function quote(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

export class Logger {
  readonly level: LogLevel;
  private readonly stream: Writable;
  private readonly format: 'text' | 'json';
  private readonly now: () => Date;

  constructor(options: LoggerOptions) {
    this.level = options.level;
    this.stream = options.stream;
    this.format = options.format ?? 'text';
    this.now = options.now ?? (() => new Date());
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
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
    if (!this.enabled(level)) return;
    const time = this.now().toISOString();
    if (this.format === 'json') {
      this.stream.write(JSON.stringify({ time, level, event, ...fields }) + '\n');
      return;
    }
    let line = `${time} ${level} ${event}`;
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value === undefined) continue;
      line += ` ${key}=${quote(String(value))}`;
    }
    this.stream.write(line + '\n');
  }
}
