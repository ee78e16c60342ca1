import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { PLATFORMS, type Platform } from '../../libs/domain';
import { OutboundPolicy, PLATFORM_FLAG, platformOutbound, type Resolver, usePlatformOutbound } from '../../libs/outbound';
import { loopbackSpellings } from '../../libs/outbound/testing';
import { fetchMedia, type MediaAttachment, PlatformError, requestJson, type SegmentRequest } from '../../libs/platforms';
import { createPlatformAdapters } from '../../libs/publishing';
import { postWebhook } from '../../libs/webhook-delivery/src/post-webhook';

/**
 * What an attacker holding one workspace's key can point Postloom at: every platform
 * adapter's `base_url`, an OAuth token endpoint, a media import and a webhook, each with
 * every spelling of this machine, a DNS name answering loopback, and (for the policy
 * itself, in libs/outbound) a redirect from an allowed host. With the allow-flags off
 * (the defaults) nothing may reach the local server; with them on, the same calls do.
 */

/** Stands in for the operator's internal service; it must see no request. */
async function internalService() {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('INTERNAL-ONLY-DATA: db_password=hunter2');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { seen, port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const CREDENTIALS: Record<Platform, (base: string) => Record<string, string>> = {
  bluesky: () => ({ identifier: 'mallory.test', app_password: 'abcd-efgh-ijkl-mnop' }),
  mastodon: () => ({ access_token: 'token-of-the-account-0001' }),
  twitter: () => ({ access_token: 'token-of-the-account-0002' }),
  linkedin: () => ({ access_token: 'token-of-the-account-0003', author_urn: 'urn:li:person:abc' }),
  threads: () => ({ access_token: 'token-of-the-account-0004', user_id: '1789' }),
  instagram: () => ({ access_token: 'token-of-the-account-0005', ig_user_id: '1790' }),
  facebook: () => ({ page_access_token: 'token-of-the-account-0006', page_id: '1791' }),
  tiktok: () => ({ access_token: 'token-of-the-account-0007' }),
  youtube: () => ({ access_token: 'token-of-the-account-0008' }),
  discord: (base) => ({ webhook_url: `${base}/api/webhooks/1/secret-webhook-token` }),
  slack: () => ({ bot_token: 'xoxb-token-of-the-account', channel: 'C0123' }),
  telegram: () => ({ bot_token: '123456:token-of-the-account', chat_id: '42' }),
};

let png: Buffer;
let jpeg: Buffer;
let mp4Like: Buffer;

/** Media already in hand, so that the only call an adapter can make is to its platform. */
function mediaFor(platform: Platform): MediaAttachment[] {
  const loaded = (kind: 'image' | 'video') => async () => ({ bytes: kind === 'image' ? jpeg : mp4Like, mime: kind === 'image' ? 'image/jpeg' : 'video/mp4' });
  if (platform === 'youtube' || platform === 'tiktok') return [{ kind: 'video', url: 'https://cdn.example.com/clip.mp4', load: loaded('video') }];
  if (platform === 'instagram') return [{ kind: 'image', url: 'https://cdn.example.com/pic.jpg', alt_text: 'a picture', load: loaded('image') }];
  return [];
}

function segment(platform: Platform, base: string, index: number): SegmentRequest {
  return {
    account: { id: `acc_${platform}`, platform, name: 'attacker', credentials: CREDENTIALS[platform](base), base_url: base },
    text: 'hello',
    media: mediaFor(platform),
    index: 0,
    total: 1,
    idempotencyKey: `pub_ssrf${index}:${platform}:0`,
    requestedAt: '2026-12-01T12:00:00.000Z',
    settings: platform === 'youtube' ? { title: 'A title' } : platform === 'tiktok' ? { privacy_level: 'SELF_ONLY' } : {},
  };
}

describe('outbound address policy across everything Postloom calls for a workspace', () => {
  let internal: Awaited<ReturnType<typeof internalService>>;
  const original = platformOutbound();
  const resolveToLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];

  beforeAll(async () => {
    internal = await internalService();
    png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    jpeg = await sharp(png).jpeg().toBuffer();
    mp4Like = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(64)]);
  });
  afterAll(async () => {
    usePlatformOutbound(original);
    await internal.close();
  });
  beforeEach(() => {
    internal.seen.length = 0;
  });

  describe.each(PLATFORMS.map((platform) => [platform]))('%s adapter, private networks refused', (platform) => {
    const adapters = createPlatformAdapters({}, [platform]);
    const adapter = adapters[platform]!;

    it('refuses every spelling of this machine as base_url', async () => {
      usePlatformOutbound(new OutboundPolicy({ allowPrivateNetworks: false, flag: PLATFORM_FLAG }));
      const spellings = loopbackSpellings(internal.port);
      for (const [i, spelling] of spellings.entries()) {
        const base = spelling.replace(/\/$/, '');
        // Refused by the policy itself, not by some check before any call.
        await expect(adapter.publishSegment(segment(platform, base, i))).rejects.toThrow(/private network address/);
      }
      expect(internal.seen).toEqual([]);
    });

    it('refuses a DNS name that resolves to loopback', async () => {
      usePlatformOutbound(new OutboundPolicy({ allowPrivateNetworks: false, flag: PLATFORM_FLAG, resolve: resolveToLoopback }));
      const error = await adapter.publishSegment(segment(platform, `http://internal.example:${internal.port}`, 100)).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/private network address/);
      expect(internal.seen).toEqual([]);
    });

    it('with PLATFORM_ALLOW_PRIVATE_NETWORKS on, the same call reaches the server', async () => {
      usePlatformOutbound(new OutboundPolicy({ allowPrivateNetworks: true, flag: PLATFORM_FLAG }));
      const error = await adapter.publishSegment(segment(platform, `http://127.0.0.1:${internal.port}`, 200)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error); // the stand-in answers 400 with a plain-text body
      if (internal.seen.length === 0) throw error;
      expect(internal.seen.length).toBeGreaterThan(0);
      // What came back is never the upstream body: only a platform's documented error fields are passed on.
      expect((error as Error).message).not.toMatch(/hunter2|INTERNAL-ONLY/);
    });
  });

  it('refuses an OAuth-style token call to a refused address (requestJson, the path every OAuth exchange takes)', async () => {
    usePlatformOutbound(new OutboundPolicy({ allowPrivateNetworks: false, flag: PLATFORM_FLAG }));
    for (const spelling of loopbackSpellings(internal.port)) {
      const error = await requestJson(`${spelling}oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token' }) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlatformError);
      expect(error).toMatchObject({ kind: 'rejected', details: { platformCode: 'address_refused' } });
    }
    expect(internal.seen).toEqual([]);
  });

  it('refuses media imports and webhooks to refused addresses, and lets them through when allowed', async () => {
    for (const spelling of loopbackSpellings(internal.port)) {
      await expect(fetchMedia(`${spelling}pic.png`, { maxBytes: 1_000_000 })).rejects.toMatchObject({ kind: 'rejected' });
      await expect(postWebhook(`${spelling}hook`, { headers: {}, body: '{}', timeoutMs: 2_000, allowPrivateNetworks: false })).rejects.toThrow();
    }
    const rebinding = new OutboundPolicy({ allowPrivateNetworks: false, flag: 'MEDIA_ALLOW_PRIVATE_NETWORKS', resolve: resolveToLoopback });
    await expect(fetchMedia(`http://cdn.example:${internal.port}/pic.png`, { maxBytes: 1_000_000, outbound: rebinding })).rejects.toMatchObject({ kind: 'rejected' });
    await expect(
      postWebhook(`http://hooks.example:${internal.port}/hook`, { headers: {}, body: '{}', timeoutMs: 2_000, allowPrivateNetworks: false, outbound: new OutboundPolicy({ allowPrivateNetworks: false, flag: 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', resolve: resolveToLoopback }) }),
    ).rejects.toThrow(/private network address/);
    expect(internal.seen).toEqual([]);

    await expect(postWebhook(`http://127.0.0.1:${internal.port}/hook`, { headers: {}, body: '{}', timeoutMs: 2_000, allowPrivateNetworks: true })).resolves.toBe(400);
    await expect(fetchMedia(`http://127.0.0.1:${internal.port}/pic.png`, { maxBytes: 1_000_000, allowPrivateNetworks: true })).rejects.toMatchObject({ kind: 'rejected' });
    expect(internal.seen).toEqual(['POST /hook', 'GET /pic.png']);
  });
});
