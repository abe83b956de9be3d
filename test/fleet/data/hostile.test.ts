// Hostile raw requests against the balancer, with a raw member that records the exact
// bytes it receives. One request in means at most one request out, framed exactly, with
// nothing left over for the member to read as a request of its own; or a 4xx/5xx from the
// balancer itself, the connection closed and nothing sent to the member.
import t from 'tap';
import { hostileCases } from './hostile-cases.js';
import { rawMember, rawRequest, startBalancer } from './support.js';

interface Parsed {
  line: string;
  headers: Record<string, string[]>;
  body: string;
}

// A strict HTTP/1.1 request parser for what the member received: CRLF only, one framing.
function parseRequests(data: string): { requests: Parsed[]; rest: string } {
  const requests: Parsed[] = [];
  let rest = data;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [line, ...fields] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string[]> = {};
    for (const field of fields) {
      const colon = field.indexOf(':');
      const name = field.slice(0, colon).toLowerCase();
      (headers[name] ??= []).push(field.slice(colon + 1).trim());
    }
    let body = '';
    let after = rest.slice(end + 4);
    if (headers['transfer-encoding']) {
      for (;;) {
        const eol = after.indexOf('\r\n');
        const size = parseInt(after.slice(0, eol), 16);
        if (eol < 0 || Number.isNaN(size)) return { requests, rest };
        if (size === 0) {
          if (!after.startsWith('\r\n', eol + 2)) return { requests, rest };
          after = after.slice(eol + 4);
          break;
        }
        body += after.slice(eol + 2, eol + 2 + size);
        after = after.slice(eol + 2 + size + 2);
      }
    } else if (headers['content-length']) {
      const length = Number(headers['content-length'][0]);
      body = after.slice(0, length);
      after = after.slice(length);
    }
    requests.push({ line, headers, body });
    rest = after;
  }
  return { requests, rest };
}

t.test('hostile raw requests', async (t) => {
  const cases = hostileCases(
    () => '/',
    () => '/smuggled',
  );
  for (const { name, raw, want } of cases) {
    t.test(name, async (t) => {
      const member = await rawMember(t);
      const { port } = await startBalancer(t, { raw: member.port });
      const answer = await rawRequest(port, raw, 3_000, 'paths' in want ? want.paths.length : undefined);
      const { requests, rest } = parseRequests(member.received().join(''));
      if ('refused' in want) {
        t.equal(answer.status, want.refused, `the balancer answers ${want.refused}`);
        t.ok(answer.closed, 'and closes the connection');
        t.same(requests, [], 'nothing reaches the member');
      } else {
        t.same(
          requests.map((r) => r.line.split(' ')[1]),
          want.paths,
          'the member receives exactly the requests the client sent',
        );
        t.equal(rest, '', 'with nothing left over to read as another request');
        t.notOk(requests.some((r) => r.line.includes('/smuggled')), 'no smuggled request');
        if (want.body !== undefined) t.equal(requests[0]?.body, want.body, 'the body arrives whole, framed');
        const framed = requests.every((r) => (r.headers['content-length']?.length ?? 0) + (r.headers['transfer-encoding']?.length ?? 0) <= 1);
        t.ok(framed, 'each request has one framing');
        t.match(answer.text, /^HTTP\/1\.1 200 /, "the client gets the member's answer");
      }
    });
  }
});

t.test('Connection cannot strip what the member must believe', async (t) => {
  const member = await rawMember(t);
  const { port } = await startBalancer(t, { raw: member.port });
  await rawRequest(port, 'GET / HTTP/1.1\r\nHost: example.test\r\nConnection: host, x-forwarded-for, x-forwarded-port\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n', 3_000, 1);
  const [request] = parseRequests(member.received().join('')).requests;
  t.same(request?.headers.host, ['example.test'], 'Host arrives');
  t.same(request?.headers['x-forwarded-for'], ['127.0.0.1'], 'X-Forwarded-For is what the balancer saw, not what the client said');
  t.same(request?.headers['x-forwarded-port'], [String(port)], "X-Forwarded-Port is the balancer's port");
  t.same(request?.headers['x-forwarded-proto'], ['http']);
  t.same(request?.headers['x-forwarded-host'], ['example.test']);
});

t.test('a trusted proxy keeps its X-Forwarded-For chain', async (t) => {
  const member = await rawMember(t);
  const { port } = await startBalancer(t, { raw: member.port }, { trustedProxies: ['127.0.0.0/8'] });
  await rawRequest(port, 'GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.5\r\nX-Forwarded-Proto: https\r\n\r\n', 3_000, 1);
  const [request] = parseRequests(member.received().join('')).requests;
  t.same(request?.headers['x-forwarded-for'], ['203.0.113.5, 127.0.0.1']);
  t.same(request?.headers['x-forwarded-proto'], ['https']);
});
