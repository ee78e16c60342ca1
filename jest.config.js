/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // @tus/* and srvx ship ES modules only: Jest (before Node 24.9) needs them compiled to CommonJS.
  transform: { '^.+\\.ts$': swc, '/node_modules/(?:@tus/[^/]+|srvx)/.+\\.m?js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(?:@tus/[^/]+|srvx)/)'],
  maxWorkers: 2,
  testTimeout: 30000,
  setupFiles: ['reflect-metadata', '<rootDir>/test/support/local-platform-servers.ts'],
  globalSetup: '<rootDir>/test/support/announce-left-out.js',
};
