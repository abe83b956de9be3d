// Where log lines go. A destination never throws and never waits: a line it cannot write
// now is queued up to a bound or lost, and every lost line is counted. Logging is an output,
// never a dependency: a dead reader costs lines, not the process.

export interface LogDestination {
  /** Writes one line (ending in a newline), queues it, or loses it and counts it. */
  write(line: string): void;
  /** Lines lost so far: refused while the queue was full, or never written because the destination failed. */
  readonly dropped: number;
  /** Bytes accepted and not yet written. */
  readonly backlog: number;
  /** The error code that stopped the destination for good (EPIPE, EIO, ...); undefined while it works. */
  readonly failed: string | undefined;
}

/** What a stream destination needs of a Node stream; a bare `{ write }` will do for tests. */
export interface LineStream {
  write(chunk: string, callback?: (error?: Error | null) => void): unknown;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  readonly writableLength?: number;
  readonly destroyed?: boolean;
  readonly writableEnded?: boolean;
}

/** 1 MiB: several thousand lines, enough to ride out a paused pager or a slow shipper. */
export const DEFAULT_MAX_BACKLOG = 1024 * 1024;

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

// A Node stream as a destination. Node queues what a pipe or socket does not take at once,
// without limit; this bounds that queue and turns the stream's errors into lost lines.
export class StreamDestination implements LogDestination {
  private lost = 0;
  private stoppedBy: string | undefined;

  constructor(
    private readonly stream: LineStream,
    private readonly maxBacklog = DEFAULT_MAX_BACKLOG,
  ) {
    // Without a listener, a stream's error (EPIPE) is an uncaught exception.
    stream.on?.('error', (error) => this.stop(error));
  }

  get dropped(): number {
    return this.lost;
  }

  get backlog(): number {
    return this.stream.writableLength ?? 0;
  }

  get failed(): string | undefined {
    return this.stoppedBy;
  }

  write(line: string): void {
    if (this.stoppedBy !== undefined || this.stream.destroyed === true || this.stream.writableEnded === true || this.backlog + line.length > this.maxBacklog) {
      this.lost++;
      return;
    }
    try {
      this.stream.write(line, (error) => {
        if (!error) return;
        this.lost++;
        this.stop(error);
      });
    } catch (error) {
      this.lost++;
      this.stop(error);
    }
  }

  private stop(error: unknown): void {
    this.stoppedBy ??= errorCode(error);
  }
}
