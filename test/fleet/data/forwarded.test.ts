// X-Forwarded-*: the balancer is the edge unless the peer is a trusted proxy.
import t from 'tap';
import { TrustedProxies, forwardedHeaders, parseCidr, plainAddress } from '../../../src/fleet/data/forwarded.js';

const peer = { address: '::ffff:198.51.100.7', localPort: 8080 };
const spoof = { host: 'example.test', 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.test', 'x-forwarded-port': '80' };

t.test('by default every X-Forwarded-* value is what the balancer saw', async (t) => {
  t.same(forwardedHeaders(spoof, peer, new TrustedProxies([])), {
    'x-forwarded-for': '198.51.100.7',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': 'example.test',
    'x-forwarded-port': '8080',
  });
});

t.test('a trusted proxy keeps its chain and the peer is appended', async (t) => {
  t.same(forwardedHeaders(spoof, peer, new TrustedProxies(['198.51.100.0/24'])), {
    'x-forwarded-for': '1.2.3.4, 198.51.100.7',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'evil.test',
    'x-forwarded-port': '80',
  });
});

t.test('a trusted proxy that sent none gets the balancer\'s own values', async (t) => {
  t.same(forwardedHeaders({ host: 'h' }, peer, new TrustedProxies(['198.51.100.7'])), {
    'x-forwarded-for': '198.51.100.7',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': 'h',
    'x-forwarded-port': '8080',
  });
});

t.test('trust matching', async (t) => {
  const cases: [string[], string, boolean][] = [
    [[], '127.0.0.1', false],
    [['127.0.0.1'], '127.0.0.1', true],
    [['127.0.0.1'], '::ffff:127.0.0.1', true],
    [['10.0.0.0/8'], '10.255.0.1', true],
    [['10.0.0.0/8'], '11.0.0.1', false],
    [['2001:db8::/32'], '2001:db8::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['0.0.0.0/0'], '203.0.113.9', true],
  ];
  for (const [cidrs, address, want] of cases) t.equal(new TrustedProxies(cidrs).has(address), want, `${address} in [${cidrs.join(', ')}]`);
});

t.test('bad CIDRs are refused with a one-line reason', async (t) => {
  const cases: [string, RegExp][] = [
    ['nope', /expected an IP address or CIDR/],
    ['10.0.0.0/33', /prefix length 0-32/],
    ['::1/129', /prefix length 0-128/],
    ['10.0.0.0/8/8', /expected an IP address or CIDR/],
    ['10.0.0.0/x', /prefix length/],
  ];
  for (const [input, reason] of cases) t.throws(() => parseCidr(input), reason, input);
});

t.test('IPv4-mapped addresses read as IPv4', async (t) => {
  t.equal(plainAddress('::ffff:10.1.2.3'), '10.1.2.3');
  t.equal(plainAddress('::1'), '::1');
  t.equal(plainAddress('10.1.2.3'), '10.1.2.3');
});
