import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPrivateAddress } from './address';
import { OutboundPolicy, OutboundRefused, type Resolver } from './policy';
import { loopbackSpellings } from './testing/loopback-spellings';

/** A local server that counts what reaches it. */
async function countingServer(host: string, answer: (url: string) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 })) {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const { status, headers } = answer(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { seen, port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const refusing = (resolve?: Resolver, isPublic?: (address: string) => boolean) => new OutboundPolicy({ allowPrivateNetworks: false, flag: 'TEST_ALLOW', resolve, isPublic });
const allowing = (resolve?: Resolver) => new OutboundPolicy({ allowPrivateNetworks: true, flag: 'TEST_ALLOW', resolve });

describe('OutboundPolicy', () => {
  let target: Awaited<ReturnType<typeof countingServer>>;
  beforeAll(async () => {
    target = await countingServer('127.0.0.1');
  });
  afterAll(() => target.close());
  beforeEach(() => {
    target.seen.length = 0;
  });

  it.each(loopbackSpellings(1).map((url) => [url]))('refuses %s and the server sees nothing', async (spelling) => {
    const url = spelling.replace(':1/', `:${target.port}/`);
    const policy = refusing();
    await expect(policy.fetch(url)).rejects.toThrow(OutboundRefused);
    expect(target.seen).toEqual([]);
    await policy.close();
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/', // cloud metadata
    'http://10.0.0.1/',
    'http://172.16.0.1/',
    'http://192.168.1.1/',
    'http://100.64.0.1/', // carrier-grade NAT
    'http://224.0.0.1/', // multicast
    'http://255.255.255.255/',
    'http://[fd00::1]/', // unique-local
    'http://[fe80::1]/', // link-local
    'http://[ff02::1]/', // multicast
    'http://[::ffff:10.0.0.1]/',
    'http://[64:ff9b::a9fe:a9fe]/', // NAT64 of 169.254.169.254
    'http://[2002:a9fe:a9fe::1]/', // 6to4 of 169.254.169.254
  ])('refuses %s on its face, without any traffic', (url) => {
    expect(refusing().refusal(new URL(url))).toBeInstanceOf(OutboundRefused);
    expect(allowing().refusal(new URL(url))).toBeNull();
  });

  it('lets public addresses and names through on their face', () => {
    for (const url of ['https://api.x.com/2/tweets', 'https://8.8.8.8/', 'https://[2606:4700::1111]/']) expect(refusing().refusal(new URL(url))).toBeNull();
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
  });

  it('refuses schemes other than http and https', () => {
    expect(allowing().refusal(new URL('file:///etc/passwd'))?.message).toMatch(/only http and https/);
    expect(allowing().refusal(new URL('gopher://127.0.0.1/'))?.message).toMatch(/only http and https/);
  });

  it('refuses a name that resolves to loopback, when it connects', async () => {
    const resolve: Resolver = async (hostname) => (hostname === 'rebind.example' ? [{ address: '127.0.0.1', family: 4 }] : []);
    const policy = refusing(resolve);
    await expect(policy.fetch(`http://rebind.example:${target.port}/`)).rejects.toMatchObject({ cause: expect.objectContaining({ name: 'OutboundRefused' }) });
    await expect(policy.check(`http://rebind.example:${target.port}/`)).rejects.toThrow(OutboundRefused);
    expect(target.seen).toEqual([]);
    await policy.close();
  });

  it('refuses a name when any one of its addresses is private', async () => {
    const resolve: Resolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    await expect(refusing(resolve).check('http://mixed.example/')).rejects.toThrow(/127\.0\.0\.1 is a private network address/);
  });

  it('follows a redirect from an allowed host only to allowed hosts', async () => {
    // 127.0.0.2 stands in for a public host (the policy is told to count it public); it
    // redirects once to itself and once to the loopback server that must never be reached.
    const publicHost = await countingServer('127.0.0.2', (url) =>
      url === '/to-victim' ? { status: 302, headers: { location: `http://127.0.0.1:${target.port}/secret` } } : url === '/hop' ? { status: 307, headers: { location: '/landed' } } : { status: 200 },
    );
    const policy = refusing(undefined, (address) => address === '127.0.0.2' || !isPrivateAddress(address));
    try {
      await expect(policy.fetch(`http://127.0.0.2:${publicHost.port}/to-victim`)).rejects.toThrow(OutboundRefused);
      expect(target.seen).toEqual([]);
      const followed = await policy.fetch(`http://127.0.0.2:${publicHost.port}/hop`);
      expect(followed.status).toBe(200);
      expect(publicHost.seen).toEqual(['/to-victim', '/hop', '/landed']);
    } finally {
      await policy.close();
      await publicHost.close();
    }
  });

  it('stops after five redirects', async () => {
    const loop = await countingServer('127.0.0.1', () => ({ status: 302, headers: { location: '/again' } }));
    const policy = allowing();
    try {
      await expect(policy.fetch(`http://127.0.0.1:${loop.port}/`)).rejects.toThrow(/more than 5 redirects/);
      expect(loop.seen).toHaveLength(6);
    } finally {
      await policy.close();
      await loop.close();
    }
  });

  it('with private networks allowed, the same calls go through', async () => {
    const resolve: Resolver = async (hostname) => (hostname === 'rebind.example' ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const policy = allowing(resolve);
    try {
      for (const url of [`http://127.0.0.1:${target.port}/a`, `http://2130706433:${target.port}/b`, `http://0x7f.1:${target.port}/c`, `http://rebind.example:${target.port}/d`]) {
        expect((await policy.fetch(url)).status).toBe(200);
      }
      await expect(policy.check(`http://rebind.example:${target.port}/`)).resolves.toBeUndefined();
      expect(target.seen).toEqual(['/a', '/b', '/c', '/d']);
    } finally {
      await policy.close();
    }
  });
});
