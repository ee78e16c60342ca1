export { loadConfig, ConfigError, redactUrl, type RuntimeConfig, type LogLevel } from './src/config';
export { createLogger, type Logger } from './src/logger';
export { StartupError, connectWithin, withTimeout } from './src/connect';
export { RuntimeMetrics, CountedEventStore } from './src/metrics';
export { API_KEY_FILE, embeddedApiKey } from './src/api-key-file';
export {
  openRuntime,
  openEventStore,
  openReadModel,
  postsProjector,
  projectionLagOf,
  checkHealth,
  POSTS_PROJECTOR,
  type Opened,
  type HealthSources,
  type Runtime,
  type OpenRuntimeOptions,
  type HealthReport,
  type DependencyHealth,
  type ProjectionHealth,
  type AdapterName,
} from './src/runtime';
export { RuntimeModule, RUNTIME, LOGGER } from './src/runtime.module';
export { runApp, closeOnSignals } from './src/process';
export { serveHealth, type HealthServer, type HealthServerOptions } from './src/health-server';
