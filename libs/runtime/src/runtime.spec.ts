import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config';
import { StartupError } from './connect';
import { createLogger } from './logger';
import { openRuntime } from './runtime';

describe('openRuntime (embedded)', () => {
  let dataDir: string;
  const logger = createLogger('silent');

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'postloom-runtime-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates a bootstrap key once into DATA_DIR/api-key (0600) and keeps it across restarts', async () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    const first = await openRuntime(config, { logger });
    expect(first.apiKeySource).toBe('generated');
    expect(first.apiKey).toMatch(/^pl_live_/);
    expect(statSync(join(dataDir, 'api-key')).mode & 0o777).toBe(0o600);
    expect(await first.workspaces.authenticate(first.apiKey as string)).toMatchObject({ workspace_id: 'default', rate_limit_per_minute: 1000 });
    await first.close();

    const second = await openRuntime(config, { logger });
    expect(second.apiKeySource).toBe('file');
    expect(second.apiKey).toBe(first.apiKey);
    expect(await second.workspaces.authenticate(second.apiKey as string)).not.toBeNull();
    await second.close();
  });

  it('opens the SQLite files and the projector, and reports healthy', async () => {
    const runtime = await openRuntime(loadConfig({ DATA_DIR: dataDir, POSTLOOM_API_KEY: 'pl_test_0123456789abcdef' }), { logger });
    try {
      expect(runtime.mode).toBe('embedded');
      expect(runtime.adapters).toEqual({ eventStore: 'sqlite', readModel: 'sqlite', registry: 'sqlite', messaging: 'in-process', media: 'files' });
      expect(runtime.projector?.isRunning).toBe(true);
      expect(runtime.apiKeySource).toBe('env');
      const health = await runtime.health();
      expect(health.ready).toBe(true);
      for (const file of ['events.sqlite', 'read.sqlite', 'registry.sqlite']) expect(statSync(join(dataDir, file)).isFile()).toBe(true);
    } finally {
      await runtime.close();
    }
  });

  it('refuses to start when a configured server cannot be reached in time', async () => {
    const config = loadConfig({ DATA_DIR: dataDir, EVENTSTORE_URL: 'esdb://127.0.0.1:9?tls=false', CONNECT_TIMEOUT_MS: '300' });
    await expect(openRuntime(config, { logger })).rejects.toThrow(StartupError);
    await expect(openRuntime(config, { logger })).rejects.toThrow(/cannot reach EventStoreDB at esdb:\/\/127\.0\.0\.1:9/);
  });

  it('requires the servers an app names, and a shared encryption key with MongoDB', async () => {
    await expect(openRuntime(loadConfig({ DATA_DIR: dataDir }), { logger, require: ['EVENTSTORE_URL', 'MONGO_URL'] })).rejects.toThrow(
      /EVENTSTORE_URL is required[\s\S]*MONGO_URL is required/,
    );
    await expect(openRuntime(loadConfig({ DATA_DIR: dataDir, MONGO_URL: 'mongodb://127.0.0.1:9' }), { logger })).rejects.toThrow(/POSTLOOM_ENCRYPTION_KEY is required/);
  });
});
