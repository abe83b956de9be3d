// The control client against fake daemons on real unix sockets: only a missing socket or a
// refused connection means that no daemon runs; a silent or slow daemon, a socket error and
// an answer that breaks the protocol are each their own failure, and so is a daemon's bug.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { UsageError } from 'clipanion';
import { call } from '../../../../src/fleet/control/socket/client.js';
import { FleetError } from '../../../../src/fleet/errors.js';
import { STATUS, serve, tempRunDir } from './helpers.js';
import type { Tap } from '../../../support.js';

const FLEET = 'fake';

/** A socket file with nothing listening on it, as a daemon killed with SIGKILL leaves it. */
async function staleSocket(socketPath: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`]);
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

/** A fake daemon that answers every request with `answer`, or never answers at all. */
async function fakeDaemon(t: Tap, socketPath: string, answer?: (res: http.ServerResponse) => void): Promise<{ requests: string[] }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    req.resume();
    answer?.(res);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { requests };
}

function reply(status: number, body: string): (res: http.ServerResponse) => void {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
}

t.test('no daemon: only a missing socket or a refused connection', async (t) => {
  const dir = tempRunDir(t);
  const missing = path.join(dir, 'missing.sock');
  await t.rejects(call(FLEET, 'status', {}, { socketPath: missing }), { code: 'FLEET_NOT_RUNNING', message: `fleet "fake" is not running (no daemon answers on ${missing})` }, 'no socket');
  const stale = path.join(dir, 'stale.sock');
  await staleSocket(stale);
  t.ok(fs.existsSync(stale), 'the killed daemon left its socket');
  await t.rejects(call(FLEET, 'down', {}, { socketPath: stale }), { code: 'FLEET_NOT_RUNNING' }, 'nothing accepts on the socket');
});

t.test('a daemon that accepts and never answers is a timeout, not "not running"', async (t) => {
  const socketPath = path.join(tempRunDir(t), 'silent.sock');
  const daemon = await fakeDaemon(t, socketPath);
  await t.rejects(
    call(FLEET, 'down', {}, { socketPath, timeoutMs: 300 }),
    { code: 'FLEET_CONTROL_TIMEOUT', message: `fleet "fake" did not answer POST /down within 0.3 s on ${socketPath}` },
    'the timeout names the call, the time and the socket',
  );
  t.same(daemon.requests, ['POST /down'], 'the request reached the daemon');
});

// A socket idle timeout would wait forever here; the limit only makes a regression fail fast.
t.test('a daemon that trickles its answer is held to the whole deadline', { timeout: 30_000 }, async (t) => {
  const socketPath = path.join(tempRunDir(t), 'trickle.sock');
  await fakeDaemon(t, socketPath, (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write(' '), 50);
    res.once('close', () => clearInterval(timer));
  });
  await t.rejects(call(FLEET, 'status', {}, { socketPath, timeoutMs: 500 }), { code: 'FLEET_CONTROL_TIMEOUT' }, 'a timeout after 0.5 s though bytes keep coming');
});

t.test('any other socket error is its own failure', async (t) => {
  const dir = tempRunDir(t);
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, '');
  const socketPath = path.join(file, 'fleet.sock');
  await t.rejects(
    call(FLEET, 'down', {}, { socketPath }),
    { code: 'FLEET_CONTROL_UNREACHABLE', message: new RegExp(`^cannot talk to fleet "fake" on ${socketPath}: .*ENOTDIR`) },
    'ENOTDIR is not "not running"',
  );
});

const badReplies: [string, number, string, RegExp][] = [
  ['not JSON', 200, '<html>hello</html>', /answered GET \/status on \S+ with something that is not JSON \(status 200\)$/],
  ['the wrong shape', 200, '{"name":"fake","desired":"one"}', /answered GET \/status on \S+ with an unexpected shape: desired: expected a number \(got "one"\)/],
  ['a member of the wrong shape', 200, JSON.stringify({ ...STATUS, members: [{ id: 1 }] }), /with an unexpected shape: members\[0\]\.id: expected a string \(got 1\)/],
  ['an error with no code of fleet', 409, '{"error":"no","code":"E_WHAT"}', /with status 409 and no error of fleet's: code: expected one of/],
  ['an error that is not JSON', 502, 'Bad Gateway', /with something that is not JSON \(status 502\)$/],
];

t.test('an answer that breaks the protocol is an error naming the socket', async (t) => {
  const dir = tempRunDir(t);
  for (const [what, status, body, message] of badReplies) {
    const socketPath = path.join(dir, `${badReplies.findIndex((r) => r[0] === what)}.sock`);
    await fakeDaemon(t, socketPath, reply(status, body));
    await t.rejects(call(FLEET, 'status', {}, { socketPath }), { code: 'FLEET_CONTROL_BAD_REPLY', message }, what);
    const error = await call(FLEET, 'status', {}, { socketPath }).catch((e: unknown) => e);
    t.match((error as Error).message, socketPath, `${what}: the message names the socket`);
  }
});

t.test("the daemon's own errors: a FleetError keeps its code, a bug is not the user's doing", async (t) => {
  const dir = tempRunDir(t);
  const rejected = path.join(dir, 'rejected.sock');
  await fakeDaemon(t, rejected, reply(409, '{"code":"FLEET_SCALE_REJECTED","error":"cannot remove 5"}'));
  const error = await call(FLEET, 'scale', { delta: -5 }, { socketPath: rejected }).catch((e: unknown) => e);
  t.ok(error instanceof FleetError, 'a FleetError');
  t.match(error, { code: 'FLEET_SCALE_REJECTED', message: 'cannot remove 5' }, 'with its code and message');

  const broken = path.join(dir, 'broken.sock');
  await fakeDaemon(t, broken, reply(500, '{"code":"FLEET_INTERNAL","error":"POST /scale failed: x is undefined"}'));
  const bug = await call(FLEET, 'scale', { delta: 1 }, { socketPath: broken }).catch((e: unknown) => e);
  t.notOk(bug instanceof UsageError, 'not a usage error (the CLI exits 70 for it)');
  t.match(bug, { code: 'FLEET_INTERNAL', message: 'fleet "fake" failed inside its daemon: POST /scale failed: x is undefined' }, 'FLEET_INTERNAL, naming the fleet');
});

t.test('against the real server, each call gets its typed answer', async (t) => {
  const served = await serve(t, path.join(tempRunDir(t), 'fleet.sock'));
  t.same(await call(FLEET, 'status', {}, { socketPath: served.socketPath }), STATUS, 'status');
  t.same(await call(FLEET, 'scale', { delta: 2 }, { socketPath: served.socketPath }), { added: [], removed: [], status: STATUS }, 'scale');
  t.same(served.calls, [
    { route: 'status', body: {} },
    { route: 'scale', body: { delta: 2 } },
  ], 'the server saw the bodies the client sent');
});

t.test('a socket that accepts and closes without a word is not "not running"', async (t) => {
  const socketPath = path.join(tempRunDir(t), 'rude.sock');
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  await t.rejects(call(FLEET, 'down', {}, { socketPath }), { code: 'FLEET_CONTROL_UNREACHABLE' }, 'a connection closed unanswered is not "not running"');
});
