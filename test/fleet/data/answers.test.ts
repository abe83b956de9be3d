// The balancer's own answers: one table, each code with its status, Retry-After and text,
// written the same way through a response and straight to a socket.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import t from 'tap';
import { ANSWERS, type Answer, type AnswerCode, RETRY_AFTER_S, answer, parseErrorAnswer, rawAnswer, writeAnswer } from '../../../src/fleet/data/answers.js';

const CASES: { what: string; answer: Answer; body: string; retry: boolean }[] = [
  { what: 'a parse error', answer: answer('FLEET_BAD_REQUEST'), body: '400 Bad Request: the request is malformed (FLEET_BAD_REQUEST)\n', retry: false },
  { what: 'ambiguous framing', answer: answer('FLEET_BAD_FRAMING', 'more than one Host header'), body: '400 Bad Request: more than one Host header (FLEET_BAD_FRAMING)\n', retry: false },
  { what: 'a slow client', answer: answer('FLEET_CLIENT_TIMEOUT'), body: '408 Request Timeout: the request did not arrive in time (FLEET_CLIENT_TIMEOUT)\n', retry: false },
  { what: 'a large body', answer: answer('FLEET_BODY_TOO_LARGE', 1024), body: '413 Payload Too Large: the request body exceeds 1024 bytes (FLEET_BODY_TOO_LARGE)\n', retry: false },
  { what: 'large headers', answer: answer('FLEET_HEADERS_TOO_LARGE'), body: '431 Request Header Fields Too Large: the request headers are too large (FLEET_HEADERS_TOO_LARGE)\n', retry: false },
  { what: 'a coding', answer: answer('FLEET_UNSUPPORTED_CODING', 'transfer coding gzip is not supported'), body: '501 Not Implemented: transfer coding gzip is not supported (FLEET_UNSUPPORTED_CODING)\n', retry: false },
  { what: 'CONNECT', answer: answer('FLEET_METHOD_UNSUPPORTED'), body: '501 Not Implemented: CONNECT is not supported (FLEET_METHOD_UNSUPPORTED)\n', retry: false },
  { what: 'the connection limit', answer: answer('FLEET_TOO_MANY_CONNECTIONS', 100), body: '503 Service Unavailable: the balancer holds its limit of 100 connections (FLEET_TOO_MANY_CONNECTIONS)\n', retry: true },
  { what: 'shedding', answer: answer('FLEET_OVERLOADED', 'web'), body: '503 Service Unavailable: the balancer of fleet "web" is overloaded; retry in 1 s (FLEET_OVERLOADED)\n', retry: true },
  { what: 'full queues', answer: answer('FLEET_QUEUE_FULL', 'web'), body: '503 Service Unavailable: every member of fleet "web" has a full queue (FLEET_QUEUE_FULL)\n', retry: true },
  { what: 'a queue timeout', answer: answer('FLEET_QUEUE_TIMEOUT', 'm1'), body: '503 Service Unavailable: no connection to member m1 became free in time (FLEET_QUEUE_TIMEOUT)\n', retry: true },
  { what: 'no member', answer: answer('FLEET_NO_MEMBER', 'web'), body: '503 Service Unavailable: fleet "web" has no healthy member (FLEET_NO_MEMBER)\n', retry: false },
  { what: 'a slow member', answer: answer('FLEET_UPSTREAM_TIMEOUT', 'm1'), body: '504 Gateway Timeout: member m1 did not answer in time (FLEET_UPSTREAM_TIMEOUT)\n', retry: false },
  { what: 'a failed member', answer: answer('FLEET_UPSTREAM_ERROR', 'm1', 'ECONNRESET'), body: '502 Bad Gateway: member m1 failed: ECONNRESET (FLEET_UPSTREAM_ERROR)\n', retry: false },
];

t.test('each answer says its status, its text and its code', async (t) => {
  t.same(new Set(CASES.map((c) => c.answer.code)), new Set(Object.keys(ANSWERS) as AnswerCode[]), 'every code of the table is a case here');
  for (const c of CASES) {
    t.equal(c.answer.body, c.body, `${c.what}: the body`);
    t.equal(c.answer.retry, c.retry, `${c.what}: ${c.retry ? 'with' : 'without'} Retry-After`);
    t.equal(c.answer.status, Number(c.body.slice(0, 3)), `${c.what}: the status is the body's`);
  }
});

t.test('written to a socket, an answer is a complete response that closes the connection', async (t) => {
  for (const c of CASES) {
    const raw = rawAnswer(c.answer);
    const [head, body] = raw.split('\r\n\r\n');
    t.equal(body, c.body, `${c.what}: the body follows the head`);
    t.match(head, new RegExp(`^HTTP/1\\.1 ${c.answer.status} `), `${c.what}: the status line`);
    t.match(head, `\r\nContent-Length: ${Buffer.byteLength(c.body)}`, `${c.what}: the length is the body's`);
    t.match(head, '\r\nConnection: close', `${c.what}: the connection closes`);
    t.equal(head.includes(`\r\nRetry-After: ${RETRY_AFTER_S}`), c.retry, `${c.what}: Retry-After as the table says`);
  }
});

t.test('through a response, an answer has the same status, headers and body', async (t) => {
  const server = http.createServer((req, res) => {
    const c = CASES[Number(req.url?.slice(1))];
    writeAnswer(res, c.answer, req.headers['x-close'] === '1');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  for (const [i, c] of CASES.entries()) {
    const close = i % 2 === 0;
    const got = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: `/${i}`, headers: { 'x-close': close ? '1' : '0' }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
    });
    t.equal(got.status, c.answer.status, `${c.what}: the status`);
    t.equal(got.body, c.body, `${c.what}: the body`);
    t.equal(got.headers['retry-after'], c.retry ? String(RETRY_AFTER_S) : undefined, `${c.what}: Retry-After as the table says`);
    t.equal(got.headers['cache-control'], 'no-store', `${c.what}: never cached`);
    if (close) t.equal(got.headers.connection, 'close', `${c.what}: told to close, it says so`);
  }
});

t.test("a parse error is answered by what Node's parser found", async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await new Promise((resolve) => socket.once('connect', resolve));
  const errors: { code: string; want: AnswerCode | undefined }[] = [
    { code: 'HPE_HEADER_OVERFLOW', want: 'FLEET_HEADERS_TOO_LARGE' },
    { code: 'ERR_HTTP_REQUEST_TIMEOUT', want: 'FLEET_CLIENT_TIMEOUT' },
    { code: 'HPE_INVALID_METHOD', want: 'FLEET_BAD_REQUEST' },
    { code: 'ECONNRESET', want: undefined },
  ];
  for (const e of errors) {
    const error = Object.assign(new Error(e.code), { code: e.code });
    t.equal(parseErrorAnswer(error, socket)?.code, e.want, `${e.code}: ${e.want ?? 'no answer, the socket is cut'}`);
  }
  socket.destroy();
  t.equal(parseErrorAnswer(Object.assign(new Error('x'), { code: 'HPE_INVALID_METHOD' }), socket), undefined, 'a socket that cannot be written gets no answer');
});
