import { isIP } from 'node:net';

type Range = readonly [prefix: readonly number[], bits: number];

// IPv4 ranges that are not the public internet (RFC 6890 special-purpose registry).
const IPV4_NOT_PUBLIC: readonly Range[] = [
  [[0, 0, 0, 0], 8], // "this network"
  [[10, 0, 0, 0], 8], // private
  [[100, 64, 0, 0], 10], // carrier-grade NAT
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local (cloud metadata endpoints live here)
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // documentation
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // documentation
  [[203, 0, 113, 0], 24], // documentation
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, broadcast
];

// IPv6 ranges that are not the public internet, as 16-bit groups.
const IPV6_NOT_PUBLIC: readonly Range[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0], 128], // unspecified
  [[0, 0, 0, 0, 0, 0, 0, 1], 128], // loopback
  [[0x0064, 0xff9b, 0x0001], 48], // local-use NAT64
  [[0x0100, 0, 0, 0], 64], // discard
  [[0x2001, 0x0db8], 32], // documentation
  [[0xfc00], 7], // unique-local
  [[0xfe80], 10], // link-local
  [[0xfec0], 10], // site-local (deprecated, still routed privately)
  [[0xff00], 8], // multicast
];

function inRange(value: readonly number[], [prefix, bits]: Range, width: number): boolean {
  let remaining = bits;
  for (let i = 0; remaining > 0; i++, remaining -= width) {
    const take = Math.min(width, remaining);
    const mask = ((1 << take) - 1) << (width - take);
    if (((value[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseIPv4(address: string): number[] {
  return address.split('.').map(Number);
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, embedded dotted IPv4 expanded). */
function parseIPv6(address: string): number[] {
  let text = address.split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = parseIPv4(dotted[1]);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((group) => parseInt(group, 16));
}

function embeddedIPv4(groups: readonly number[]): number[] | undefined {
  const v4 = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
  const leadingZeros = (n: number) => groups.slice(0, n).every((g) => g === 0);
  // IPv4-mapped ::ffff:a.b.c.d and the deprecated IPv4-compatible ::a.b.c.d
  if (leadingZeros(5) && (groups[5] === 0xffff || groups[5] === 0)) return v4(groups[6], groups[7]);
  // NAT64 well-known prefix 64:ff9b::/96
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return v4(groups[6], groups[7]);
  // 6to4 2002:AABB:CCDD::/48
  if (groups[0] === 0x2002) return v4(groups[1], groups[2]);
  return undefined;
}

/**
 * True for any address that is not on the public internet: loopback, private, link-local,
 * unique-local, multicast, documentation and the like, for IPv4 and IPv6, including an
 * IPv4 address carried inside an IPv6 one (mapped, NAT64, 6to4). Unparseable input is
 * treated as not public.
 */
export function isPrivateAddress(address: string): boolean {
  const host = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(host.split('%')[0]);
  if (family === 4) {
    const octets = parseIPv4(host);
    return IPV4_NOT_PUBLIC.some((range) => inRange(octets, range, 8));
  }
  if (family === 6) {
    const groups = parseIPv6(host);
    const v4 = embeddedIPv4(groups);
    if (v4 && IPV4_NOT_PUBLIC.some((range) => inRange(v4, range, 8))) return true;
    return IPV6_NOT_PUBLIC.some((range) => inRange(groups, range, 16));
  }
  return true;
}
