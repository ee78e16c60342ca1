export * from './src/platforms';
export * from './src/text-length';
