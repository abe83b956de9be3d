// One member's list channel: a long-lived session to its reader, with one-shot exec as the
// fallback while the session is down. One write at a time, the latest list wins: a list
// that arrives while another is being written waits, and only the newest waiting one is
// sent. A session that closes, errs, answers garbage or stops acknowledging is reopened
// with backoff, and the current list always goes first on a new session (the member may
// have restarted with an empty list since).
import { SESSION_OPEN_TIMEOUT_MS } from '../../config.js';
import { encodeList, parseReply } from './wire.js';

export interface ListTarget {
  generation: number;
  /** The list as one string, to compare lists. */
  key: string;
  ips: readonly string[];
}

/** One member's reader, as a transport opened it. */
export interface SessionStream {
  write(text: string): void;
  close(): void;
  onLine(handler: (line: string) => void): void;
  /** Called once, when the session ends for any reason. */
  onClose(handler: (reason: string) => void): void;
}

export interface ListTransport {
  /** Starts `fleet-set-members --follow` in the member. */
  open(id: string): Promise<SessionStream>;
  /** Writes the list with a one-shot exec: the fallback. */
  oneShot(id: string, ips: readonly string[]): Promise<void>;
}

export type Via = 'session' | 'exec';

export interface ChannelEvents {
  /** The member serves `target`: written by `via`, or 'unchanged' when it already held that list. */
  held(id: string, target: ListTarget, via: Via | 'unchanged'): void;
  failed(id: string, target: ListTarget, via: Via, reason: string): void;
  session(id: string, state: 'open' | 'down', reason?: string): void;
}

export interface ChannelOptions {
  /**
   * The engine must open the session this soon (readyTimeoutMs unless set). Apart from the
   * reader's own answer: a slow engine opens sessions slowly, and giving up on one it is
   * still opening only makes it open another (issue 15).
   */
  openTimeoutMs?: number;
  /** The reader must say it is ready this soon after the session starts. */
  readyTimeoutMs: number;
  /** A list sent on the session must be acknowledged this soon. */
  ackTimeoutMs: number;
  /** Backoff between reopen attempts and fallback retries. */
  minBackoffMs: number;
  maxBackoffMs: number;
}

export const CHANNEL_DEFAULTS: ChannelOptions = { openTimeoutMs: SESSION_OPEN_TIMEOUT_MS, readyTimeoutMs: 5_000, ackTimeoutMs: 2_000, minBackoffMs: 100, maxBackoffMs: 5_000 };

type SessionState = 'opening' | 'open' | 'down';

interface Sending {
  target: ListTarget;
  via: Via;
  timer?: NodeJS.Timeout;
}

export class MemberChannel {
  private want: ListTarget | undefined;
  private acked: ListTarget | undefined;
  private sending: Sending | undefined;
  private stream: SessionStream | undefined;
  private state: SessionState = 'down';
  private closed = false;
  private reopenDelay: number;
  private retryDelay: number;
  private reopenTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readyTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    private readonly transport: ListTransport,
    private readonly events: ChannelEvents,
    private readonly options: ChannelOptions = CHANNEL_DEFAULTS,
  ) {
    this.reopenDelay = options.minBackoffMs;
    this.retryDelay = options.minBackoffMs;
  }

  /** The list this member is known to serve. */
  get holding(): ListTarget | undefined {
    return this.acked;
  }

  /** The list this member must serve: the one it holds, or one being written to it. */
  get wants(): ListTarget | undefined {
    return this.want;
  }

  get sessionOpen(): boolean {
    return this.state === 'open';
  }

  start(): void {
    this.open();
  }

  /** The list this member must serve from now on. */
  set(target: ListTarget): void {
    if (this.want && this.want.generation >= target.generation) return;
    this.want = target;
    this.kick();
  }

  /** What the member holds is unknown again (it restarted): a new session, the list first. */
  invalidate(): void {
    if (this.closed) return;
    this.acked = undefined;
    if (this.state !== 'opening') this.fail('the member restarted');
  }

  close(): void {
    this.closed = true;
    for (const timer of [this.reopenTimer, this.retryTimer, this.readyTimer, this.sending?.timer]) clearTimeout(timer);
    this.stream?.close();
    this.stream = undefined;
    this.state = 'down';
  }

  private kick(): void {
    const want = this.want;
    if (this.closed || !want || this.sending) return;
    if (this.acked?.key === want.key) {
      // The same list under a newer generation: nothing to write.
      if (this.acked.generation < want.generation) {
        this.acked = want;
        this.events.held(this.id, want, 'unchanged');
      }
      return;
    }
    if (this.state === 'open') this.sendOnSession(want);
    else if (this.state === 'down') this.sendByExec(want);
    // 'opening': the session is moments away; it sends the list as soon as it is ready.
  }

  private open(): void {
    if (this.closed) return;
    this.state = 'opening';
    let settled = false;
    const openTimeoutMs = this.options.openTimeoutMs ?? this.options.readyTimeoutMs;
    this.readyTimer = setTimeout(() => {
      settled = true;
      this.fail(`the engine did not open a session within ${openTimeoutMs} ms`);
    }, openTimeoutMs);
    this.transport.open(this.id).then(
      (stream) => {
        if (settled || this.closed) {
          stream.close();
          return;
        }
        clearTimeout(this.readyTimer);
        this.readyTimer = setTimeout(() => {
          settled = true;
          this.fail(`the reader did not say ready within ${this.options.readyTimeoutMs} ms`);
        }, this.options.readyTimeoutMs);
        this.stream = stream;
        stream.onLine((line) => this.onLine(stream, line));
        stream.onClose((reason) => {
          if (this.stream === stream) this.fail(`the session closed: ${reason}`);
        });
      },
      (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(this.readyTimer);
        this.fail(`cannot open a session: ${error.message}`);
      },
    );
  }

  private onLine(stream: SessionStream, line: string): void {
    if (this.stream !== stream) return;
    const reply = parseReply(line);
    if (reply.kind === 'ready' && this.state === 'opening') {
      clearTimeout(this.readyTimer);
      this.state = 'open';
      this.reopenDelay = this.options.minBackoffMs;
      // A new session may find a restarted member: its list goes first, whatever we knew.
      this.acked = undefined;
      this.events.session(this.id, 'open');
      this.kick();
      return;
    }
    const sending = this.sending;
    if (reply.kind === 'ack' && sending?.via === 'session' && reply.generation === sending.target.generation) {
      clearTimeout(sending.timer);
      this.sending = undefined;
      this.acked = sending.target;
      this.retryDelay = this.options.minBackoffMs;
      this.events.held(this.id, sending.target, 'session');
      this.kick();
      return;
    }
    if (reply.kind === 'nak' && sending?.via === 'session' && reply.generation === sending.target.generation) {
      // The reader is alive but could not write: try again later, by exec.
      clearTimeout(sending.timer);
      this.sending = undefined;
      this.events.failed(this.id, sending.target, 'session', reply.reason);
      this.retryLater();
      return;
    }
    this.fail(`the reader answered ${JSON.stringify(line.slice(0, 80))}`);
  }

  private sendOnSession(target: ListTarget): void {
    const stream = this.stream;
    if (!stream) return;
    this.sending = {
      target,
      via: 'session',
      timer: setTimeout(() => this.fail(`no acknowledgement within ${this.options.ackTimeoutMs} ms`), this.options.ackTimeoutMs),
    };
    stream.write(encodeList(target.generation, target.ips));
  }

  private sendByExec(target: ListTarget): void {
    this.sending = { target, via: 'exec' };
    this.transport.oneShot(this.id, target.ips).then(
      () => {
        if (this.sending?.target !== target) return;
        this.sending = undefined;
        this.acked = target;
        this.retryDelay = this.options.minBackoffMs;
        this.events.held(this.id, target, 'exec');
        this.kick();
      },
      (error: Error) => {
        if (this.sending?.target !== target) return;
        this.sending = undefined;
        this.events.failed(this.id, target, 'exec', error.message);
        this.retryLater();
      },
    );
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, this.retryDelay);
    this.retryDelay = Math.min(this.options.maxBackoffMs, this.retryDelay * 2);
  }

  /** The session is down: the list in flight on it goes by exec, and a new session comes after a backoff. */
  private fail(reason: string): void {
    if (this.closed) return;
    clearTimeout(this.readyTimer);
    const stream = this.stream;
    this.stream = undefined;
    stream?.close();
    const wasUp = this.state !== 'down';
    this.state = 'down';
    if (wasUp) this.events.session(this.id, 'down', reason);
    if (this.sending?.via === 'session') {
      clearTimeout(this.sending.timer);
      this.sending = undefined;
    }
    if (!this.reopenTimer) {
      this.reopenTimer = setTimeout(() => {
        this.reopenTimer = undefined;
        this.open();
      }, this.reopenDelay);
      this.reopenDelay = Math.min(this.options.maxBackoffMs, this.reopenDelay * 2);
    }
    this.kick();
  }
}
