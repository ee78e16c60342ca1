import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../libs/runtime';
import { TsChild } from '../../test/e2e/publishing/support/child-process';
import { loadPublisherSettings } from '../../libs/publishing';

function configProblems(env: NodeJS.ProcessEnv): string {
  try {
    loadPublisherSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the settings were accepted');
}

/** A port nothing listens on: bound, read back, released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('publisher app settings', () => {
  it('reads PLATFORMS and the tuning variables', () => {
    expect(loadPublisherSettings({ PLATFORMS: ' mastodon, bluesky ', PUBLISH_CONCURRENCY: '16', NATS_ACK_WAIT_MS: '2000' })).toEqual({
      platforms: ['mastodon', 'bluesky'],
      concurrency: 16,
      maxAttempts: 8,
      retryInitialMs: 2000,
      retryMaxMs: 300000,
      ackWaitMs: 2000,
    });
  });

  it('refuses a missing, unknown or unpublishable platform, naming it', () => {
    expect(configProblems({})).toMatch(/PLATFORMS is required: a comma-separated list of bluesky, mastodon/);
    expect(configProblems({ PLATFORMS: 'bluesky,myspace' })).toMatch(/"myspace" is not a platform/);
    expect(configProblems({ PLATFORMS: 'mastodon', PUBLISH_CONCURRENCY: 'lots' })).toMatch(/PUBLISH_CONCURRENCY must be an integer from 1 to 1000, got "lots"/);
  });
});

describe('publisher app process', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'postloom-publisher-app-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start, saying why, when NATS cannot be reached in time', async () => {
    const port = await closedPort();
    const child = TsChild.start('apps/publisher/main.ts', { DATA_DIR: dataDir, PLATFORMS: 'mastodon', NATS_URL: `nats://127.0.0.1:${port}`, CONNECT_TIMEOUT_MS: '1000', LOG_LEVEL: 'silent' });
    const exit = await child.exited;
    expect(exit.code).toBe(1);
    expect(child.text).toMatch(new RegExp(`postloom-publisher: cannot reach NATS at nats://127.0.0.1:${port} within 1 s`));
  }, 20_000);

  it('refuses to start without PLATFORMS', async () => {
    const child = TsChild.start('apps/publisher/main.ts', { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const exit = await child.exited;
    expect(exit.code).toBe(1);
    expect(child.text).toMatch(/PLATFORMS is required/);
  }, 20_000);
});
