export { loopbackSpellings } from './src/testing/loopback-spellings';
