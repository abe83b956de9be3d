// What the daemon does with fds 0-2 once its terminal may be gone: only those that were
// terminals and no longer are point at /dev/null, in place.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import t from 'tap';
import { releaseHungUp, terminalFds } from '../../src/fleet/hangup.js';

t.test('the terminals among fds 0-2 are the ones isatty says', async (t) => {
  const want = [0, 1, 2].filter((fd) => tty.isatty(fd));
  t.same(terminalFds(), want, `here: [${want.join(', ')}]`);
});

t.test('an fd that is no terminal (any more) is pointed at /dev/null, in place', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-hangup-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fd = fs.openSync(path.join(dir, 'was-a-terminal'), 'w');
  t.teardown(() => fs.closeSync(fd));
  const devNull = fs.statSync('/dev/null');
  t.same(releaseHungUp([fd]), [fd], 'it is released');
  const now = fs.fstatSync(fd);
  t.ok(now.isCharacterDevice() && now.rdev === devNull.rdev, 'the same number now refers to /dev/null');
  fs.writeSync(fd, 'lost, harmlessly\n');
});

t.test('a closed fd is left alone and not reported', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-hangup-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fd = fs.openSync(path.join(dir, 'gone'), 'w');
  fs.closeSync(fd);
  t.same(releaseHungUp([fd]), [], 'nothing released (nor opened: its close fails first)');
});
