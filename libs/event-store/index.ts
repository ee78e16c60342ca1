export * from './src/port';
export { SqliteEventStore, type SqliteEventStoreOptions, type GroupCommit } from './src/sqlite-event-store';
export { EventStoreDbEventStore, type EventStoreDbEventStoreOptions } from './src/eventstoredb-event-store';
