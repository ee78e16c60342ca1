import { createHttpApp } from '../../libs/http';
import { closeOnSignals, loadConfig, openRuntime, runApp } from '../../libs/runtime';

/** Distributed mode's API: EventStoreDB + MongoDB (+ NATS); the projector runs in apps/projector. */
runApp('postloom-api', async () => {
  const config = loadConfig();
  const runtime = await openRuntime(config, { require: ['EVENTSTORE_URL', 'MONGO_URL'], projector: false });
  const app = await createHttpApp(runtime).catch(async (error: unknown) => {
    await runtime.close();
    throw error;
  });
  await app.listen(config.port, config.host);
  runtime.logger.info({ host: config.host, port: config.port }, 'API listening');
  closeOnSignals(async () => {
    await app.close();
    await runtime.close();
  }, runtime.logger);
});
