// An in-memory stand-in for members' list readers (fleet-set-members --follow) behind the
// list transport: it answers as the script does, and each member can be told to misbehave.
import type { ListTransport, SessionStream } from '../../../../src/fleet/control/lists/channel.js';

export interface Quirks {
  /** open() fails. */
  refuse?: boolean;
  /** The reader never says ready. */
  silent?: boolean;
  /** Lists are written but never acknowledged. */
  mute?: boolean;
  /** Answers this instead of an acknowledgement. */
  garbage?: string;
  /** One-shot exec fails (with this message, or "exec failed"). */
  execFails?: boolean;
  execError?: string;
}

export class FakeReaders implements ListTransport {
  /** What each member serves. */
  readonly lists = new Map<string, string[]>();
  /** Every write, in order: `id gen via`. */
  readonly writes: string[] = [];
  readonly quirks = new Map<string, Quirks>();
  opened = 0;
  private readonly sessions = new Map<string, { close: (reason: string) => void }>();

  async open(id: string): Promise<SessionStream> {
    this.opened++;
    const quirks = this.quirks.get(id) ?? {};
    if (quirks.refuse) throw new Error('no such container');
    const lines: ((line: string) => void)[] = [];
    const closers: ((reason: string) => void)[] = [];
    let ended = false;
    const say = (line: string): void => void setImmediate(() => !ended && lines.forEach((h) => h(line)));
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      this.sessions.delete(id);
      closers.forEach((h) => h(reason));
    };
    this.sessions.set(id, { close: end });
    if (!quirks.silent) say('ready 1');
    return {
      write: (text) => {
        const [generation, ...ips] = text.trim().split(' ');
        const q = this.quirks.get(id) ?? {};
        this.lists.set(id, ips);
        this.writes.push(`${id} ${generation} session`);
        if (q.garbage) say(q.garbage);
        else if (!q.mute) say(`ack ${generation}`);
      },
      close: () => end('closed by the daemon'),
      onLine: (handler) => lines.push(handler),
      onClose: (handler) => closers.push(handler),
    };
  }

  async oneShot(id: string, ips: readonly string[]): Promise<void> {
    const quirks = this.quirks.get(id);
    if (quirks?.execFails) throw new Error(quirks.execError ?? 'exec failed');
    this.lists.set(id, [...ips]);
    this.writes.push(`${id} - exec`);
  }

  /** The reader process dies (killed in the container, or the container restarts). */
  kill(id: string): void {
    this.sessions.get(id)?.close('the reader exited');
  }

  isOpen(id: string): boolean {
    return this.sessions.has(id);
  }
}
