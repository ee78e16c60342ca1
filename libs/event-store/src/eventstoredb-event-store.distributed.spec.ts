import { describeEventStoreContract } from '../testing';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import type { EventStore } from './port';

const url = process.env.EVENTSTORE_URL;

if (!url) {
  console.warn(
    '!!! EventStoreDB contract suite LEFT OUT: EVENTSTORE_URL is not set (e.g. EVENTSTORE_URL=esdb://localhost:2113?tls=false) !!!',
  );
}

const describeWithServer = process.env.EVENTSTORE_URL ? describe : describe.skip;

describeWithServer('EventStoreDbEventStore against EVENTSTORE_URL', () => {
  // Each test writes streams of its own random category, so a shared server
  // with other data is fine and nothing needs deleting afterwards.
  describeEventStoreContract('EventStoreDbEventStore', async () => {
    const connectionString = process.env.EVENTSTORE_URL as string;
    const opened: EventStore[] = [new EventStoreDbEventStore(connectionString)];
    return {
      store: opened[0],
      reopen: async () => {
        const store = new EventStoreDbEventStore(connectionString);
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        await Promise.all(opened.map((store) => store.close()));
      },
    };
  });
});
