export * from './src/port';
