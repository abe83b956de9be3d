// The list session's wire format, table-driven: what the daemon writes, and how it reads
// each line the member's reader may answer.
import t from 'tap';
import { READY, type Reply, encodeList, parseReply } from '../../../../src/fleet/control/lists/wire.js';

t.test('a list is one line: the generation, then the addresses', async (t) => {
  const cases: { what: string; generation: number; ips: string[]; line: string }[] = [
    { what: 'three members', generation: 7, ips: ['172.17.0.2', '172.17.0.3', '172.17.0.4'], line: '7 172.17.0.2 172.17.0.3 172.17.0.4\n' },
    { what: 'one member', generation: 1, ips: ['10.0.0.1'], line: '1 10.0.0.1\n' },
    { what: 'no member: the generation alone', generation: 12, ips: [], line: '12\n' },
  ];
  for (const c of cases) t.equal(encodeList(c.generation, c.ips), c.line, c.what);
});

t.test('each reply line is read as what the reader meant', async (t) => {
  const cases: { what: string; line: string; reply: Reply }[] = [
    { what: 'the greeting', line: READY, reply: { kind: 'ready' } },
    { what: 'the greeting with its newline', line: `${READY}\n`, reply: { kind: 'ready' } },
    { what: 'an ack', line: 'ack 42', reply: { kind: 'ack', generation: 42 } },
    { what: 'an ack with spaces around', line: '  ack 3 \r\n', reply: { kind: 'ack', generation: 3 } },
    { what: 'a nak naming its list', line: 'nak 5 cannot write', reply: { kind: 'nak', generation: 5, reason: 'cannot write' } },
    { what: 'a nak of a line that had no generation', line: 'nak - bad line', reply: { kind: 'nak', generation: undefined, reason: 'bad line' } },
    { what: 'a nak without a reason', line: 'nak 5', reply: { kind: 'garbage', line: 'nak 5' } },
    { what: 'an ack without a number', line: 'ack x', reply: { kind: 'garbage', line: 'ack x' } },
    { what: 'another protocol version', line: 'ready 2', reply: { kind: 'garbage', line: 'ready 2' } },
    { what: 'an empty line', line: '', reply: { kind: 'garbage', line: '' } },
    { what: 'a long line, cut to 200 characters', line: 'x'.repeat(500), reply: { kind: 'garbage', line: 'x'.repeat(200) } },
  ];
  for (const c of cases) t.same(parseReply(c.line), c.reply, c.what);
});

t.test('a list the daemon writes is never mistaken for a reply', async (t) => {
  t.equal(parseReply(encodeList(1, ['10.0.0.1'])).kind, 'garbage');
});
