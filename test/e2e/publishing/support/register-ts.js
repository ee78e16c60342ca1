/*
 * Lets a child `node` process run the TypeScript sources directly: `node -r <this file> apps/publisher/main.ts`.
 * Compiles each .ts file on require with @swc/core, the same settings as jest's transform
 * (decorators with metadata, CommonJS), so tests can SIGKILL a real publisher process
 * without a build step.
 */
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

require('reflect-metadata');
