import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../libs/runtime';
import { TsChild } from '../../test/e2e/publishing/support/child-process';
import { loadSchedulerSettings } from '../../libs/scheduling';

describe('scheduler app', () => {
  it('reads its settings and refuses bad ones', () => {
    expect(loadSchedulerSettings({})).toEqual({ intervalMs: 250, webhooks: true });
    expect(loadSchedulerSettings({ SCHEDULER_INTERVAL_MS: '100', WEBHOOK_DELIVERY: 'false' })).toEqual({ intervalMs: 100, webhooks: false });
    expect(() => loadSchedulerSettings({ SCHEDULER_INTERVAL_MS: '0' })).toThrow(ConfigError);
    expect(() => loadSchedulerSettings({ WEBHOOK_DELIVERY: 'maybe' })).toThrow(/WEBHOOK_DELIVERY must be true or false/);
  });

  it('runs beside an embedded store and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'postloom-scheduler-app-'));
    try {
      const child = TsChild.start('apps/scheduler/main.ts', { DATA_DIR: dataDir, LOG_LEVEL: 'info' });
      await child.waitForOutput(/scheduler ready/, 20_000);
      const port = /"msg":"health endpoint listening"/.test(child.text) ? Number(/"port":(\d+)[^\n]*health endpoint listening/.exec(child.text)?.[1]) : NaN;
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ready: true, checks: { event_store: { status: 'up' }, read_model: { status: 'up' } } });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/postloom_projection_lag/);
      const exit = await child.stop();
      expect(exit.code).toBe(0);
      expect(child.text).toMatch(/"msg":"runtime closed"/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
