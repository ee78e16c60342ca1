import { closeOnSignals, loadConfig, runApp } from '../../libs/runtime';
import { startEmbedded } from './embedded';

runApp('postloom', async () => {
  const config = loadConfig();
  const embedded = await startEmbedded(config);
  const key = embedded.runtime.apiKeySource === 'env' ? 'from POSTLOOM_API_KEY' : embedded.runtime.apiKey;
  process.stdout.write(`Postloom listening on ${embedded.url} (data: ${config.dataDir}, API key: ${key})\n`);
  closeOnSignals(() => embedded.close(), embedded.runtime.logger);
});
