export { isPrivateAddress } from './src/address';
export * from './src/policy';
