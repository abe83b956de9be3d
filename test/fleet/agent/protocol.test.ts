// The agent's boundary: what a PUT /list body may be, and which generation is newer.
import t from 'tap';
import { MAX_LIST_IPS, isNewer, parseListBody } from '../../../src/fleet/agent/protocol.js';

const many = JSON.stringify({ generation: 1, ips: Array.from({ length: MAX_LIST_IPS + 1 }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`) });

t.test('a list body is exactly {generation, ips}, checked before anything acts on it', async (t) => {
  const cases: [string, string, string | { generation: number; ips: string[] }][] = [
    ['a list', '{"generation":3,"ips":["10.0.0.2","10.0.0.3"]}', { generation: 3, ips: ['10.0.0.2', '10.0.0.3'] }],
    ['an empty list', '{"generation":1,"ips":[]}', { generation: 1, ips: [] }],
    ['the largest generation', `{"generation":${Number.MAX_SAFE_INTEGER},"ips":[]}`, { generation: Number.MAX_SAFE_INTEGER, ips: [] }],
    ['not JSON', '{generation:1', 'the body is not JSON'],
    ['an array', '[1]', 'the body must be an object {generation, ips}'],
    ['null', 'null', 'the body must be an object {generation, ips}'],
    ['an unknown field', '{"generation":1,"ips":[],"cmd":"rm"}', 'unknown field "cmd"'],
    ['no generation', '{"ips":[]}', 'generation must be an integer from 1 to 2^53-1'],
    ['generation 0', '{"generation":0,"ips":[]}', 'generation must be an integer from 1 to 2^53-1'],
    ['a fractional generation', '{"generation":1.5,"ips":[]}', 'generation must be an integer from 1 to 2^53-1'],
    ['a generation as a string', '{"generation":"2","ips":[]}', 'generation must be an integer from 1 to 2^53-1'],
    ['an unsafe generation', '{"generation":9007199254740993,"ips":[]}', 'generation must be an integer from 1 to 2^53-1'],
    ['ips not an array', '{"generation":1,"ips":"10.0.0.1"}', 'ips must be an array of IPv4 addresses'],
    ['a host name', '{"generation":1,"ips":["member-1"]}', 'not an IPv4 address: "member-1"'],
    ['a shell word', '{"generation":1,"ips":["10.0.0.1;reboot"]}', 'not an IPv4 address: "10.0.0.1;reboot"'],
    ['an octet over 255', '{"generation":1,"ips":["10.0.0.256"]}', 'not an IPv4 address: "10.0.0.256"'],
    ['a leading zero', '{"generation":1,"ips":["10.0.0.01"]}', 'not an IPv4 address: "10.0.0.01"'],
    ['an IPv6 address', '{"generation":1,"ips":["::1"]}', 'not an IPv4 address: "::1"'],
    ['a number', '{"generation":1,"ips":[167772161]}', 'not an IPv4 address: 167772161'],
    ['null in ips', '{"generation":1,"ips":[null]}', 'not an IPv4 address: null'],
    ['an address twice', '{"generation":1,"ips":["10.0.0.1","10.0.0.1"]}', 'ips holds an address twice'],
    ['too many addresses', many, `ips holds more than ${MAX_LIST_IPS} addresses`],
  ];
  for (const [what, text, want] of cases) {
    const parsed = parseListBody(text);
    if (typeof want === 'string') t.same(parsed, { ok: false, error: want }, `${what} is refused: ${want}`);
    else t.same(parsed, { ok: true, value: want }, `${what} is taken`);
  }
});

t.test('only a newer generation is pushed: a member never goes back', async (t) => {
  const cases: [number | undefined, number, boolean][] = [
    [undefined, 1, true],
    [4, 5, true],
    [4, 1_000, true],
    [4, 4, false],
    [4, 3, false],
    [4, 1, false],
  ];
  for (const [held, incoming, newer] of cases) t.equal(isNewer(held, incoming), newer, `holding ${held ?? 'nothing'}, generation ${incoming} is ${newer ? '' : 'not '}pushed`);
});
