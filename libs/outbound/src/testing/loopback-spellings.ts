/** Every spelling of this machine that a URL can carry; each must be refused before any connection. */
export function loopbackSpellings(port: number): string[] {
  return [
    `http://127.0.0.1:${port}/`,
    `http://localhost:${port}/`,
    `http://localhost.:${port}/`,
    `http://LOCALHOST:${port}/`,
    `http://api.localhost:${port}/`,
    `http://2130706433:${port}/`, // decimal
    `http://017700000001:${port}/`, // octal, whole
    `http://0177.0.0.1:${port}/`, // octal, dotted
    `http://0x7f000001:${port}/`, // hex, whole
    `http://0x7f.0.0.1:${port}/`, // hex, dotted
    `http://127.1:${port}/`, // short
    `http://127.000.000.001:${port}/`, // zero-padded
    `http://[::1]:${port}/`, // IPv6 loopback
    `http://[::ffff:127.0.0.1]:${port}/`, // IPv4-mapped, dotted
    `http://[::ffff:7f00:1]:${port}/`, // IPv4-mapped, hex
    `http://[0:0:0:0:0:ffff:127.0.0.1]:${port}/`, // IPv4-mapped, long
    `http://[::127.0.0.1]:${port}/`, // IPv4-compatible
    `http://0.0.0.0:${port}/`, // unspecified (reaches this machine on Linux)
    `http://0:${port}/`, // unspecified, short
    `http://[::]:${port}/`, // IPv6 unspecified
  ];
}

