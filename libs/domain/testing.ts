export * from './src/testing/post-specification';
