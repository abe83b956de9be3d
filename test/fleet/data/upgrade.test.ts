// Upgrades: WebSocket is tunnelled with the same member choice, health and drain
// accounting as any request; another protocol is answered as plain HTTP; a member that
// switches protocols unasked never leaves a client hanging or a request counted in flight.
import t from 'tap';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { backend, rawRequest, startBalancer, type Tap } from './support.js';

/** A member that accepts WebSocket handshakes and then echoes raw bytes back. */
async function wsEcho(t: Tap): Promise<{ port: number; seen: http.IncomingHttpHeaders[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const { port, server } = await backend(t, 'ws', (_req, res) => res.end('plain\n'));
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    seen.push(req.headers);
    const accept = crypto
      .createHash('sha1')
      .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
    socket.on('error', () => {});
  });
  return { port, seen };
}

const HANDSHAKE = 'GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** A raw client connection with everything it received so far; `received` waits for what it expects to arrive. */
function connect(port: number): Promise<{ socket: net.Socket; text: () => string; received: (condition: (text: string) => boolean) => Promise<boolean> }> {
  return new Promise((resolve) => {
    let text = '';
    let closed = false;
    const waiting: (() => void)[] = [];
    const changed = (): void => waiting.splice(0).forEach((wake) => wake());
    const received = async (condition: (text: string) => boolean): Promise<boolean> => {
      while (!condition(text) && !closed) await new Promise<void>((wake) => waiting.push(wake));
      return condition(text);
    };
    const socket = net.connect(port, '127.0.0.1', () => resolve({ socket, text: () => text, received }));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      changed();
    });
    socket.on('close', () => {
      closed = true;
      changed();
    });
    socket.on('error', () => {});
  });
}

t.test('a WebSocket is tunnelled and counts as in flight until it closes', async (t) => {
  const member = await wsEcho(t);
  const { port, members } = await startBalancer(t, { ws: member.port });
  const client = await connect(port);
  client.socket.write(HANDSHAKE);
  t.ok(await client.received((text) => text.includes('\r\n\r\n')), 'the handshake is answered');
  t.match(client.text(), /^HTTP\/1\.1 101 Switching Protocols\r\n/, 'with the member\'s 101');
  t.match(client.text(), /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
  t.equal(member.seen[0]?.['x-forwarded-for'], '127.0.0.1', 'the member saw X-Forwarded-For');
  t.equal(members.get('ws')?.inflight, 1, 'the tunnel is in flight on its member');
  client.socket.write('ping-through-the-tunnel');
  t.ok(await client.received((text) => text.endsWith('ping-through-the-tunnel')), 'bytes go both ways');
  client.socket.end();
  t.ok(await members.idle('ws', 3_000), 'closing it releases the member');
});

t.test('a drain waits for a tunnel', async (t) => {
  const member = await wsEcho(t);
  const { port, members } = await startBalancer(t, { ws: member.port });
  const client = await connect(port);
  client.socket.write(HANDSHAKE);
  await client.received((text) => text.includes('\r\n\r\n'));
  members.fence('ws');
  let ended = false;
  const drained = members.idle('ws', 5_000).finally(() => (ended = true));
  // A round trip through the tunnel while the drain waits.
  client.socket.write('still-open');
  await client.received((text) => text.endsWith('still-open'));
  t.notOk(ended, 'the drain waits while the tunnel is open');
  client.socket.destroy();
  t.equal(await drained, true, 'the drain ended when the tunnel closed');
});

t.test('a member that declines the upgrade: its answer, then the connection ends', async (t) => {
  const { port: memberPort, server } = await backend(t, 'no', (_req, res) => res.end('plain\n'));
  server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => socket.end('HTTP/1.1 426 Upgrade Required\r\nContent-Length: 4\r\n\r\nnope'));
  const { port, members } = await startBalancer(t, { no: memberPort });
  const answer = await rawRequest(port, HANDSHAKE, 3_000);
  t.equal(answer.status, 426, "the client gets the member's answer");
  t.ok(answer.closed, 'and the connection closes');
  t.ok(await members.idle('no', 3_000), 'nothing stays in flight');
});

t.test('a member that switches protocols unasked gets the client a 502, at once', async (t) => {
  const rogue = net.createServer((socket) => {
    socket.once('data', () => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n'));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', resolve));
  t.teardown(() => rogue.close());
  const { port, members } = await startBalancer(t, { rogue: (rogue.address() as net.AddressInfo).port }, { upstream: { responseTimeoutMs: 20_000, maxAttempts: 1 } });
  const started = Date.now();
  const answer = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 5_000, 1);
  t.equal(answer.status, 502, 'a 502');
  t.match(answer.text, /FLEET_UPSTREAM_ERROR/);
  t.ok(Date.now() - started < 4_000, 'well before any timeout');
  t.equal(members.get('rogue')?.inflight, 0, 'no request stays in flight');
});

t.test('another upgrade (h2c) is answered as plain HTTP/1.1, and the connection then closes', async (t) => {
  let seen: http.IncomingHttpHeaders = {};
  const plain = await backend(t, 'plain', (req, res) => {
    seen = req.headers;
    res.end('plain answer\n');
  });
  const { port } = await startBalancer(t, { plain: plain.port });
  const answer = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n', 3_000);
  t.equal(answer.status, 200, 'served');
  t.match(answer.text, /plain answer/);
  t.ok(answer.closed, 'then closed');
  t.equal(seen.upgrade, undefined, 'the member never saw the Upgrade');
  t.equal(seen['http2-settings'], undefined, 'nor the header named in Connection');
});

t.test('a WebSocket with no member in rotation is a 503', async (t) => {
  const { port } = await startBalancer(t, {});
  const answer = await rawRequest(port, HANDSHAKE, 3_000);
  t.equal(answer.status, 503);
  t.match(answer.text, /FLEET_NO_MEMBER/);
  t.ok(answer.closed);
});
