/** Test-only entry: the contract every EventStore adapter must pass, and its event builders. */
export {
  describeEventStoreContract,
  newCategory,
  newEvent,
  newStream,
  type EventStoreContractFixture,
} from './src/testing/event-store-contract';
