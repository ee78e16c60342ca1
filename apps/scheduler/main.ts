import { closeOnSignals, loadConfig, runApp } from '../../libs/runtime';
import { loadSchedulerSettings } from '../../libs/scheduling';
import { startSchedulerApp } from './scheduler';

runApp('postloom-scheduler', async () => {
  const config = loadConfig();
  const settings = loadSchedulerSettings();
  const app = await startSchedulerApp(config, settings);
  app.runtime.logger.info({ interval_ms: settings.intervalMs, webhooks: settings.webhooks }, 'scheduler ready');
  closeOnSignals(() => app.close(), app.runtime.logger);
});
