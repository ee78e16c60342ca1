export * from './src/port';
export { projectPostEvent, postDocumentOf, postIdOfStream, PostProjection } from './src/projection';
export { SqliteReadModel, type SqliteReadModelOptions } from './src/sqlite-read-model';
export { MongoReadModel, type MongoReadModelOptions } from './src/mongo-read-model';
export { Projector, type ProjectorOptions, type ProjectorLogger, type ProjectorBatch } from './src/projector';
export {
  replay,
  replayBesideLive,
  type BlueGreenReadModel,
  type ReplayOptions,
  type ReplayBesideLiveOptions,
  type ReplayProgress,
  type ReplayTotals,
} from './src/replay';
