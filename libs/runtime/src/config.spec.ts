import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('defaults to the embedded mode on port 3000', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      dataDir: resolve('./data'),
      apiKey: null,
      encryptionKey: null,
      eventStoreUrl: null,
      mongoUrl: null,
      natsUrl: null,
      logLevel: 'info',
      rateLimitPerMinute: 1000,
      rateLimitAnonymousPerMinute: 600,
      readYourWritesTimeoutMs: 5000,
      mediaAllowPrivateNetworks: false,
      webhookAllowPrivateNetworks: false,
      platformAllowPrivateNetworks: false,
      connectTimeoutMs: 30000,
      publicUrl: null,
      mediaMaxImageBytes: 20_000_000,
      mediaMaxVideoBytes: 1_073_741_824,
      mediaQuotaBytes: 10_737_418_240,
      httpHeadersTimeoutMs: 10000,
      httpRequestTimeoutMs: 30000,
      httpKeepAliveTimeoutMs: 5000,
      uploadIdleTimeoutMs: 60000,
      oauthEnv: {},
      tokenRefreshLeaseMs: 30000,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/postloom',
      POSTLOOM_API_KEY: 'pl_live_0123456789abcdef',
      POSTLOOM_ENCRYPTION_KEY: 'a'.repeat(64),
      EVENTSTORE_URL: 'esdb://eventstore:2113?tls=false',
      MONGO_URL: 'mongodb://mongo:27017/postloom',
      NATS_URL: 'nats://nats:4222',
      LOG_LEVEL: 'DEBUG',
      RATE_LIMIT_PER_MINUTE: '50',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10',
      READ_YOUR_WRITES_TIMEOUT_MS: '250',
      MEDIA_ALLOW_PRIVATE_NETWORKS: 'true',
      CONNECT_TIMEOUT_MS: '1000',
      POSTLOOM_PUBLIC_URL: 'https://postloom.example.com',
      MEDIA_MAX_IMAGE_BYTES: '5000000',
      MEDIA_MAX_VIDEO_BYTES: '500000000',
      MEDIA_QUOTA_BYTES: '2000000000',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/var/lib/postloom',
      apiKey: 'pl_live_0123456789abcdef',
      eventStoreUrl: 'esdb://eventstore:2113?tls=false',
      mongoUrl: 'mongodb://mongo:27017/postloom',
      natsUrl: 'nats://nats:4222',
      logLevel: 'debug',
      rateLimitPerMinute: 50,
      rateLimitAnonymousPerMinute: 10,
      readYourWritesTimeoutMs: 250,
      mediaAllowPrivateNetworks: true,
      connectTimeoutMs: 1000,
      publicUrl: 'https://postloom.example.com',
      mediaMaxImageBytes: 5_000_000,
      mediaMaxVideoBytes: 500_000_000,
      mediaQuotaBytes: 2_000_000_000,
    });
  });

  it('lists every problem at once, without echoing credentials in URLs', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: '70000',
        LOG_LEVEL: 'loud',
        MONGO_URL: 'postgres://user:hunter2@db/x',
        RATE_LIMIT_PER_MINUTE: '-5',
        MEDIA_ALLOW_PRIVATE_NETWORKS: 'perhaps',
        POSTLOOM_API_KEY: 'short',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/);
    expect(problems.join('\n')).toMatch(/MONGO_URL/);
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems.join('\n')).toMatch(/RATE_LIMIT_PER_MINUTE/);
    expect(problems.join('\n')).toMatch(/MEDIA_ALLOW_PRIVATE_NETWORKS/);
    expect(problems.join('\n')).toMatch(/POSTLOOM_API_KEY/);
  });
});
