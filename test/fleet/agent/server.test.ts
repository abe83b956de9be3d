// The agent's listener against a stand-in agent on port 0: one write, two reads, each
// signed; everything else refused with a status, a stable code and one line.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { Logger } from '../../../src/log.js';
import { authorization } from '../../../src/fleet/agent/auth.js';
import { followEvents, getStatus, putList } from '../../../src/fleet/agent/client.js';
import type { AgentEvent, ListBody } from '../../../src/fleet/agent/protocol.js';
import { createAgentServer } from '../../../src/fleet/agent/server.js';
import { testClock } from '../../clock.js';

const SECRET = Buffer.from('the-stack-secret-for-this-test');

async function setup(t: { teardown(fn: () => unknown): void }) {
  const offered: ListBody[] = [];
  const listeners = new Set<(event: AgentEvent) => void>();
  const unsubscribes: (() => void)[] = [];
  const logs = new PassThrough();
  logs.resume();
  const server = createAgentServer(
    {
      offer: async (list) => {
        offered.push(list);
        return { outcome: 'converged', generation: list.generation, members: [] };
      },
      status: () => ({ generation: 3, members: [{ id: 'abc', ip: '10.0.0.2', generation: 3 }] }),
      subscribe: (listener) => {
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
          for (const told of unsubscribes.splice(0)) told();
        };
      },
    },
    new Logger({ level: 'INFO', stream: logs }),
    { secret: SECRET, heartbeatMs: 50 },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  /** Resolves when a stream's subscriber is dropped next. */
  const unsubscribed = (): Promise<void> => new Promise((resolve) => unsubscribes.push(resolve));
  return { port, offered, listeners, unsubscribed, target: { host: '127.0.0.1', port, secret: SECRET } };
}

function raw(port: number, method: string, path: string, body: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const signed = (method: string, path: string, body: string, secret: Buffer | string = SECRET) => ({ authorization: authorization(secret, { method, path, body }) });

t.test('signed requests reach the agent', async (t) => {
  const { offered, target } = await setup(t);
  const put = await putList(target, { generation: 4, ips: ['10.0.0.2'] });
  t.same(put, { status: 200, body: { outcome: 'converged', generation: 4, members: [] } }, 'PUT /list answers the outcome');
  t.same(offered, [{ generation: 4, ips: ['10.0.0.2'] }], 'the list was offered once');
  const status = await getStatus(target);
  t.same(status.body, { generation: 3, members: [{ id: 'abc', ip: '10.0.0.2', generation: 3 }] }, 'GET /status answers the members');
});

t.test('everything else is refused with a status, a code and one line, and nothing is offered', async (t) => {
  const { port, offered } = await setup(t);
  const list = '{"generation":5,"ips":["10.0.0.2"]}';
  const big = JSON.stringify({ generation: 5, ips: [], pad: 'x'.repeat(300 * 1024) });
  const cases: [string, string, string, string, http.OutgoingHttpHeaders, number, string][] = [
    ['an unknown route', 'GET', '/containers/json', '', signed('GET', '/containers/json', ''), 404, 'AGENT_NOT_FOUND'],
    ['the Docker API path', 'POST', '/v1.41/containers/create', '{}', {}, 404, 'AGENT_NOT_FOUND'],
    ['a POST to /list', 'POST', '/list', list, signed('POST', '/list', list), 405, 'AGENT_METHOD_NOT_ALLOWED'],
    ['no signature', 'PUT', '/list', list, {}, 401, 'AGENT_UNAUTHORIZED'],
    ['the wrong secret', 'PUT', '/list', list, signed('PUT', '/list', list, 'not-the-stack-secret-at-all'), 401, 'AGENT_UNAUTHORIZED'],
    ['a bearer token of the secret', 'PUT', '/list', list, { authorization: `Bearer ${SECRET.toString()}` }, 401, 'AGENT_UNAUTHORIZED'],
    ['a body changed after signing', 'PUT', '/list', list.replace('5', '9'), signed('PUT', '/list', list), 401, 'AGENT_UNAUTHORIZED'],
    ['/status unsigned', 'GET', '/status', '', {}, 401, 'AGENT_UNAUTHORIZED'],
    ['/events unsigned', 'GET', '/events', '', {}, 401, 'AGENT_UNAUTHORIZED'],
    ['a body over the cap', 'PUT', '/list', big, signed('PUT', '/list', big), 413, 'AGENT_TOO_LARGE'],
    ['a body that is not JSON', 'PUT', '/list', 'generation=5', signed('PUT', '/list', 'generation=5'), 400, 'AGENT_BAD_REQUEST'],
    ['a bad address', 'PUT', '/list', '{"generation":5,"ips":["$(reboot)"]}', signed('PUT', '/list', '{"generation":5,"ips":["$(reboot)"]}'), 400, 'AGENT_BAD_REQUEST'],
  ];
  for (const [what, method, path, body, headers, status, code] of cases) {
    const answer = await raw(port, method, path, body, headers);
    t.equal(answer.status, status, `${what}: ${status}`);
    const parsed = JSON.parse(answer.body) as { code: string; error: string };
    t.equal(parsed.code, code, `${what}: ${code}`);
    t.notMatch(parsed.error, /\n/, `${what}: the error is one line`);
    if (status === 401) t.equal(answer.headers['www-authenticate'], 'Fleet-HMAC-SHA256', `${what}: the scheme is named`);
  }
  t.same(offered, [], 'no list was offered');
});

t.test('GET /events streams starts and deaths as JSON lines', async (t) => {
  // The heartbeat's timer runs on a make-believe clock; the socket is real.
  const { clock } = testClock(t);
  const { listeners, unsubscribed, target } = await setup(t);
  const seen: AgentEvent[] = [];
  let heard = (): void => undefined;
  const next = (): Promise<void> => new Promise((resolve) => (heard = resolve));
  const stream = await followEvents(target, (event) => {
    seen.push(event);
    heard();
  });
  t.teardown(() => stream.stop());
  t.equal(listeners.size, 1, 'the stream is subscribed');
  const tell = async (event: AgentEvent): Promise<void> => {
    const arrived = next();
    for (const listener of listeners) listener(event);
    await arrived;
  };
  const die: AgentEvent = { type: 'die', id: 'abc', ip: '10.0.0.2', at: 1 };
  const start: AgentEvent = { type: 'start', id: 'def', ip: '10.0.0.3', at: 2 };
  await tell(die);
  // A heartbeat (an empty line) between the two events, which the client skips.
  clock.advance(50);
  await tell(start);
  t.same(seen, [die, start], 'both events arrived, the heartbeat was skipped');
  const gone = unsubscribed();
  stream.stop();
  await stream.closed;
  await gone;
  t.equal(listeners.size, 0, 'a closed stream unsubscribes');
});
