import { closeOnSignals, loadConfig, runApp } from '../../libs/runtime';
import { loadPublisherSettings } from '../../libs/publishing';
import { startPublisherApp } from './publisher';

runApp('postloom-publisher', async () => {
  const config = loadConfig();
  const settings = loadPublisherSettings();
  const app = await startPublisherApp(config, settings);
  app.runtime.logger.info({ platforms: settings.platforms, concurrency: settings.concurrency }, 'publisher ready');
  closeOnSignals(() => app.close(), app.runtime.logger);
});
