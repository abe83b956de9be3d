// A file descriptor as a log destination: the daemon's stderr and stdout. Writes are
// write(2) calls on a non-blocking file description, so a reader that stalls (a paused
// pager, a stuck log shipper, a terminal on hold) never blocks the event loop, and one that
// is gone (EPIPE, EIO) costs only the lines, counted. What the reader does not take yet waits
// in a bounded queue, retried on a timer that never keeps the process alive.
import fs from 'node:fs';
import { DEFAULT_MAX_BACKLOG, type LineStream, type LogDestination, StreamDestination, errorCode } from './destination.js';

/** The reader is gone or the descriptor is unusable: no later write can succeed. */
const FATAL = new Set(['EPIPE', 'EIO', 'EBADF', 'ENXIO', 'EINVAL', 'ECONNRESET', 'ENOTCONN', 'EDESTADDRREQ']);
/** The reader is there but full: try again later. */
const BUSY = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);
const RETRY_FIRST_MS = 10;
const RETRY_MAX_MS = 250;

export class FdDestination implements LogDestination {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private lost = 0;
  private stoppedBy: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay = RETRY_FIRST_MS;

  constructor(
    private readonly fd: number,
    private readonly maxBacklog = DEFAULT_MAX_BACKLOG,
  ) {}

  /** A destination that lost its reader before the first line. */
  static failed(code: string): FdDestination {
    const destination = new FdDestination(-1);
    destination.stoppedBy = code;
    return destination;
  }

  get dropped(): number {
    return this.lost;
  }

  get backlog(): number {
    return this.queued;
  }

  get failed(): string | undefined {
    return this.stoppedBy;
  }

  write(line: string): void {
    const chunk = Buffer.from(line);
    if (this.stoppedBy !== undefined || this.queued + chunk.length > this.maxBacklog) {
      this.lost++;
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queue.length === 1) this.flush();
  }

  /** Writes what is queued until the descriptor takes no more; never waits. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      let written: number;
      try {
        written = fs.writeSync(this.fd, head);
      } catch (error) {
        const code = errorCode(error);
        if (BUSY.has(code)) return this.retryLater();
        if (FATAL.has(code)) return this.stop(code);
        // ENOSPC, EDQUOT, EFBIG...: this line is lost, the next may fit.
        this.shift(head.length);
        this.lost++;
        continue;
      }
      this.delay = RETRY_FIRST_MS;
      if (written === head.length) {
        this.shift(written);
      } else {
        // The reader took part of it: its buffer is full.
        this.queue[0] = head.subarray(written);
        this.queued -= written;
        return this.retryLater();
      }
    }
  }

  private shift(bytes: number): void {
    this.queue.shift();
    this.queued -= bytes;
  }

  private stop(code: string): void {
    this.stoppedBy = code;
    this.lost += this.queue.length;
    this.queue.length = 0;
    this.queued = 0;
  }

  private retryLater(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.delay);
    this.timer.unref();
    this.delay = Math.min(this.delay * 2, RETRY_MAX_MS);
  }
}

/**
 * A description of its own, non-blocking, for the pipe or terminal behind `fd` (Linux opens
 * /proc/self/fd/N anew): O_NONBLOCK on the shared one would also surprise the other processes
 * writing to it (the shell, make). The fd itself for a regular file, which never stalls.
 * Undefined where that cannot be had (a socket, no /proc): use the stream then.
 */
export function openFdDestination(fd: number, maxBacklog = DEFAULT_MAX_BACKLOG): FdDestination | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
  } catch {
    return FdDestination.failed('EBADF');
  }
  if (stat.isFile()) return new FdDestination(fd, maxBacklog);
  if (!stat.isFIFO() && !stat.isCharacterDevice()) return undefined;
  const { O_WRONLY, O_NONBLOCK, O_NOCTTY } = fs.constants;
  try {
    return new FdDestination(fs.openSync(`/proc/self/fd/${fd}`, O_WRONLY | O_NONBLOCK | O_NOCTTY), maxBacklog);
  } catch (error) {
    // A pipe whose reader already left cannot be opened for writing.
    if (errorCode(error) === 'ENXIO') return FdDestination.failed('EPIPE');
    return undefined;
  }
}

/**
 * The destination for one of this process's standard streams: its descriptor when it is one
 * of them and can be had non-blocking, else the stream itself, bounded.
 */
export function stdioDestination(stream: LineStream, maxBacklog = DEFAULT_MAX_BACKLOG): LogDestination {
  const fd = stream === process.stderr ? 2 : stream === process.stdout ? 1 : undefined;
  if (fd === undefined) return new StreamDestination(stream, maxBacklog);
  // Others still write to the stream itself (Node's warnings, a library's console.error):
  // on a dead pipe its error must not become an uncaught exception.
  stream.on?.('error', () => undefined);
  const destination = openFdDestination(fd, maxBacklog);
  if (!destination) return new StreamDestination(stream, maxBacklog);
  // Whatever the reader can take now goes out before the process ends.
  process.once('exit', () => destination.flush());
  return destination;
}
