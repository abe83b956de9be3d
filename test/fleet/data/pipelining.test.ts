// Pipelined requests by RFC 9112 §9.3.2: the answers owed to earlier requests go out, in
// order, before the answer to a broken later one; and nothing behind a refused request
// reaches a member. The member records every request it executed.
import t from 'tap';
import { backend, rawRequest, startBalancer } from './support.js';

async function recording(t: Tap): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const { port } = await backend(t, 'rec', (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.end(`${req.url}\n`));
  });
  return { port, seen };
}
type Tap = Parameters<typeof backend>[0];

const statuses = (text: string): number[] => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));

t.test('a broken request after good ones: their answers first, in order, then the 400', async (t) => {
  const member = await recording(t);
  const { port } = await startBalancer(t, { rec: member.port });
  const answer = await rawRequest(port, 'GET /A1-first HTTP/1.1\r\nHost: a\r\n\r\nGET /A1-second HTTP/1.1\r\nHost: a\r\n\r\nBOGUS\r\n\r\n', 3_000);
  t.same(statuses(answer.text), [200, 200, 400], 'the client gets both answers, then the 400');
  t.ok(answer.text.indexOf('/A1-first') < answer.text.indexOf('/A1-second'), 'in request order');
  t.ok(answer.closed, 'and the connection closes');
  t.same(member.seen, ['GET /A1-first', 'GET /A1-second'], 'the member executed exactly those');
});

const refusals: [string, string, number][] = [
  ['Transfer-Encoding: ,chunked', 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n', 501],
  ['Transfer-Encoding: gzip, chunked', 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501],
  ['a missing Host', 'GET /x HTTP/1.1\r\n\r\n', 400],
  ['Host: a b', 'GET /x HTTP/1.1\r\nHost: a b\r\n\r\n', 400],
];

for (const [name, refused, status] of refusals) {
  t.test(`nothing behind a request refused for ${name} reaches a member`, async (t) => {
    const member = await recording(t);
    const { port } = await startBalancer(t, { rec: member.port });
    const answer = await rawRequest(port, `GET /B-before HTTP/1.1\r\nHost: a\r\n\r\n${refused}GET /B2-after HTTP/1.1\r\nHost: a\r\n\r\n`, 3_000);
    t.same(statuses(answer.text), [200, status], `the client gets the earlier answer, then ${status}`);
    t.ok(answer.closed, 'and the connection closes');
    t.same(member.seen, ['GET /B-before'], 'the request behind the refusal never reaches the member');
  });
}
