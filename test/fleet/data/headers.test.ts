// Which headers cross the balancer, table-driven.
import t from 'tap';
import type { IncomingHttpHeaders } from 'node:http';
import { connectionTokens, requestHeaders, stripResponseHeaders } from '../../../src/fleet/data/headers.js';

const forwarded = { 'x-forwarded-for': '10.0.0.9', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'h', 'x-forwarded-port': '8080' };
const plain = { upgrade: false, trustedPeer: false };

t.test('request headers a member receives', async (t) => {
  const cases: [string, IncomingHttpHeaders, Partial<Record<string, string | undefined>>][] = [
    ['hop-by-hop headers stay behind', { host: 'h', connection: 'keep-alive', 'keep-alive': 'timeout=5', te: 'trailers', trailer: 'x', upgrade: 'h2c', 'proxy-connection': 'x', 'proxy-authorization': 'Basic x' }, { host: 'h', connection: undefined, 'keep-alive': undefined, te: undefined, trailer: undefined, upgrade: undefined, 'proxy-connection': undefined, 'proxy-authorization': undefined }],
    ['a header named in Connection stays behind', { host: 'h', connection: 'x-secret', 'x-secret': '1', 'x-kept': '2' }, { 'x-secret': undefined, 'x-kept': '2' }],
    ['Connection cannot drop Content-Length', { host: 'h', connection: 'content-length', 'content-length': '5' }, { 'content-length': '5' }],
    ['Connection cannot drop Transfer-Encoding', { host: 'h', connection: 'Transfer-Encoding', 'transfer-encoding': 'chunked' }, { 'transfer-encoding': 'chunked' }],
    ['Connection cannot drop Host', { host: 'h', connection: 'host' }, { host: 'h' }],
    ['Connection cannot drop X-Forwarded-For', { host: 'h', connection: 'x-forwarded-for' }, { 'x-forwarded-for': '10.0.0.9' }],
    ['the client\'s X-Forwarded-* are replaced', { host: 'h', 'x-forwarded-for': '1.2.3.4', 'x-forwarded-port': '80' }, { 'x-forwarded-for': '10.0.0.9', 'x-forwarded-port': '8080' }],
    ['Expect is answered by the balancer', { host: 'h', expect: '100-continue' }, { expect: undefined }],
    ['an untrusted Forwarded is dropped', { host: 'h', forwarded: 'for=1.2.3.4' }, { forwarded: undefined }],
    ['end-to-end headers pass', { host: 'h', 'content-type': 'text/plain', authorization: 'Bearer x', cookie: 'a=b' }, { 'content-type': 'text/plain', authorization: 'Bearer x', cookie: 'a=b' }],
  ];
  for (const [name, client, want] of cases) {
    const out = requestHeaders(client, forwarded, plain);
    for (const [header, value] of Object.entries(want)) t.equal(out[header], value, `${name}: ${header}`);
  }
});

t.test('a trusted peer keeps its Forwarded', async (t) => {
  t.equal(requestHeaders({ host: 'h', forwarded: 'for=1.2.3.4' }, forwarded, { upgrade: false, trustedPeer: true }).forwarded, 'for=1.2.3.4');
});

t.test('a WebSocket handshake keeps Connection: upgrade and Upgrade', async (t) => {
  const out = requestHeaders({ host: 'h', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' }, forwarded, { upgrade: true, trustedPeer: false });
  t.equal(out.connection, 'upgrade');
  t.equal(out.upgrade, 'websocket');
  t.equal(out['sec-websocket-key'], 'k');
});

t.test('response headers a client receives', async (t) => {
  const headers: IncomingHttpHeaders = { 'content-length': '3', connection: 'content-length, x-private', 'x-private': '1', 'keep-alive': 'timeout=5', 'x-public': '2' };
  stripResponseHeaders(headers);
  t.same(headers, { 'content-length': '3', 'x-public': '2' }, 'hop-by-hop and Connection-named go, framing stays');
});

t.test('Connection tokens', async (t) => {
  t.same(connectionTokens(' Keep-Alive , X-A,,'), ['keep-alive', 'x-a']);
  t.same(connectionTokens(undefined), []);
  t.same(connectionTokens(['a', 'B']), ['a', 'b']);
});
