// Real pipes and terminals for the destination tests: a named pipe whose reader reads,
// stalls or leaves when told, and a pseudo-terminal (made by python3's pty module, which
// the machines have) that stalls or hangs up.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Tap } from '../support.js';

export interface Pipe {
  /** The writing end, for the code under test. */
  writeFd: number;
  /** Reads what is in the pipe now, without waiting. */
  drain(): string;
  /** The reader exits. */
  closeReader(): void;
}

/**
 * A pipe (a named one, which is a pipe like a shell's `|`) with a reader that reads only
 * when asked. With `keepWriter`, the writing end is the caller's to close (a socket over it).
 */
export function pipe(t: Tap, options: { keepWriter?: boolean } = {}): Pipe {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-log-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'fifo');
  if (spawnSync('mkfifo', [file]).status !== 0) throw new Error(`mkfifo ${file} failed`);
  let readFd: number | undefined = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(file, fs.constants.O_WRONLY);
  const closeReader = (): void => {
    if (readFd !== undefined) fs.closeSync(readFd);
    readFd = undefined;
  };
  t.teardown(() => {
    closeReader();
    if (!options.keepWriter) fs.closeSync(writeFd);
  });
  const buffer = Buffer.alloc(1 << 16);
  return {
    writeFd,
    drain: () => {
      let text = '';
      for (;;) {
        let n: number;
        try {
          n = fs.readSync(readFd!, buffer, 0, buffer.length, null);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return text;
          throw error;
        }
        if (n === 0) return text;
        text += buffer.toString('utf8', 0, n);
      }
    },
    closeReader,
  };
}

const PTY = `
import os, pty, sys
master, slave = pty.openpty()
os.set_blocking(master, False)
print(os.ttyname(slave), flush=True)
os.close(slave)
for command in sys.stdin:
    command = command.strip()
    if command == 'read':
        data = b''
        while True:
            try:
                chunk = os.read(master, 65536)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            data += chunk
        print(len(data), flush=True)
    elif command == 'hangup':
        os.close(master)
        print('closed', flush=True)
`;

export interface Terminal {
  /** The terminal's device, e.g. /dev/pts/3, for the code under test to open. */
  device: string;
  /** Bytes the terminal has shown so far (read from its master side now). */
  read(): Promise<number>;
  /** The terminal closes (its emulator exits): the device hangs up. */
  hangup(): Promise<void>;
}

/** A pseudo-terminal whose screen reads nothing until asked: a terminal on hold. */
export async function terminal(t: Tap): Promise<Terminal> {
  const py: ChildProcess = spawn('python3', ['-c', PTY], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => py.kill());
  const lines: AsyncIterator<string> = readline.createInterface({ input: py.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const result = await lines.next();
    if (result.done === true) throw new Error('the pty helper exited');
    return result.value;
  };
  const device = await next();
  return {
    device,
    read: async () => {
      py.stdin!.write('read\n');
      return Number(await next());
    },
    hangup: async () => {
      py.stdin!.write('hangup\n');
      await next();
    },
  };
}
