export * from './src/oauth-platforms';
export * from './src/token-requests';
export * from './src/credentials';
export * from './src/account-health';
export * from './src/connect';
