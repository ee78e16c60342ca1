export * from './src/tokens';
export * from './src/request-context';
