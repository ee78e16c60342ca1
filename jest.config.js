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
  transform: { '^.+\\.ts$': swc },
  maxWorkers: 2,
  testTimeout: 30000,
  setupFiles: ['reflect-metadata', '<rootDir>/test/support/local-platform-servers.ts'],
  globalSetup: '<rootDir>/test/support/announce-left-out.js',
};
