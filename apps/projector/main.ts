import { checkHealth, closeOnSignals, ConfigError, createLogger, loadConfig, openEventStore, openReadModel, postsProjector, projectionLagOf, runApp, RuntimeMetrics, serveHealth } from '../../libs/runtime';

/**
 * Distributed mode's projector: follows the post streams of EventStoreDB into the MongoDB
 * read model. Serves `/health` (readiness with the projection lag) and `/metrics` on PORT.
 */
runApp('postloom-projector', async () => {
  const config = loadConfig();
  const missing = [config.eventStoreUrl ? null : 'EVENTSTORE_URL', config.mongoUrl ? null : 'MONGO_URL'].filter((name) => name !== null);
  if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name} is required by the distributed projector`));
  const logger = createLogger(config.logLevel);
  const startedAt = Date.now();
  const store = await openEventStore(config, logger);
  const model = await openReadModel(config, logger).catch(async (error: unknown) => {
    await store.value.close();
    throw error;
  });
  const projector = postsProjector(store.value, model.value, logger);
  await projector.start();
  logger.info({ event_store: store.location, read_model: model.location }, 'projector started');

  const metrics = new RuntimeMetrics(() => projectionLagOf(store.value, model.value));
  const health = await serveHealth({
    port: config.port,
    host: config.host,
    metrics: metrics.registry,
    logger,
    health: () =>
      checkHealth({
        mode: 'distributed',
        startedAt,
        eventStore: { store: store.value, adapter: store.adapter },
        readModel: { model: model.value, adapter: model.adapter },
        projectorRunningHere: projector.isRunning,
      }),
  });

  closeOnSignals(async () => {
    await health.close();
    await projector.stop();
    await model.value.close();
    await store.value.close();
  }, logger);
});
