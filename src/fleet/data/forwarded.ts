// X-Forwarded-For/-Proto/-Host/-Port. By default the balancer is the edge: it states what
// it saw and discards what the client claims. Proxies named as trusted (a load balancer
// or CDN in front of fleet) keep their chain: fleet appends the peer to their
// X-Forwarded-For and keeps the -Proto/-Host/-Port they set.
import net from 'node:net';

export interface Peer {
  /** The address the connection came from. */
  address: string;
  /** The balancer's own port on that connection. */
  localPort: number;
}

export type ForwardedHeaders = Record<'x-forwarded-for' | 'x-forwarded-proto' | 'x-forwarded-host' | 'x-forwarded-port', string>;

/** `::ffff:10.0.0.1` is 10.0.0.1: clients and members read IPv4 as IPv4. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** Parses `10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`; throws a one-line message for anything else. */
export function parseCidr(input: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address, bits, extra] = input.trim().split('/');
  const version = net.isIP(address);
  if (version === 0 || extra !== undefined) throw new Error(`expected an IP address or CIDR such as 10.0.0.0/8 (got ${JSON.stringify(input)})`);
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!/^[0-9]+$/.test(bits ?? '0') || prefix > max) throw new Error(`expected a prefix length 0-${max} in ${JSON.stringify(input)}`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export class TrustedProxies {
  private readonly list = new net.BlockList();
  readonly size: number;

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const { address, prefix, family } = parseCidr(cidr);
      this.list.addSubnet(address, prefix, family);
    }
    this.size = cidrs.length;
  }

  has(address: string): boolean {
    if (this.size === 0) return false;
    const plain = plainAddress(address);
    return this.list.check(plain, net.isIPv4(plain) ? 'ipv4' : 'ipv6');
  }
}

function single(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The X-Forwarded-* headers a member receives for a request from `peer`. */
export function forwardedHeaders(client: Readonly<Record<string, string | string[] | undefined>>, peer: Peer, trusted: TrustedProxies): ForwardedHeaders {
  const address = plainAddress(peer.address);
  const own: ForwardedHeaders = {
    'x-forwarded-for': address,
    'x-forwarded-proto': 'http',
    'x-forwarded-host': single(client.host) ?? '',
    'x-forwarded-port': String(peer.localPort),
  };
  if (!trusted.has(address)) return own;
  const chain = single(client['x-forwarded-for']);
  return {
    'x-forwarded-for': chain ? `${chain}, ${address}` : address,
    'x-forwarded-proto': single(client['x-forwarded-proto']) ?? own['x-forwarded-proto'],
    'x-forwarded-host': single(client['x-forwarded-host']) ?? own['x-forwarded-host'],
    'x-forwarded-port': single(client['x-forwarded-port']) ?? own['x-forwarded-port'],
  };
}
