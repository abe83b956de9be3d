// The daemon outlives its terminal. Node 20 (and any Node still running it) restores the terminal's settings on fds 0-2 at
// exit and aborts (SIGABRT) when the terminal is gone: tcsetattr fails with EIO
// (nodejs/node#51519; later Node ignores the error, #58200). It skips an fd that no longer
// refers to the file it saw at start, so fds whose terminal hung up are pointed at /dev/null.
import fs from 'node:fs';
import tty from 'node:tty';

/** Which of fds 0-2 are terminals, as seen at start. */
export function terminalFds(): number[] {
  return [0, 1, 2].filter((fd) => tty.isatty(fd));
}

/** Points those of `fds` whose terminal hung up at /dev/null; returns them. */
export function releaseHungUp(fds: readonly number[]): number[] {
  const released: number[] = [];
  for (const fd of fds) {
    // A hung-up terminal answers EIO to the isatty check as to everything else.
    if (tty.isatty(fd)) continue;
    try {
      fs.closeSync(fd);
      // The lowest free number: the one just closed.
      const reopened = fs.openSync('/dev/null', 'r+');
      if (reopened !== fd) fs.closeSync(reopened);
      released.push(fd);
    } catch {
      // Already closed or replaced: nothing of the terminal is left on it.
    }
  }
  return released;
}
