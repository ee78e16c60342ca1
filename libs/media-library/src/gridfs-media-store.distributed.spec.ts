import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { GridFsMediaStore } from './gridfs-media-store';
import { describeMediaStoreContract } from './testing/media-store-contract';

const url = process.env.MONGO_URL;
const describeWithServer = url ? describe : describe.skip;

if (!url) {
  console.warn(
    '\n*** GridFsMediaStore contract suite LEFT OUT: MONGO_URL is not set. ***\n' +
      '*** Set MONGO_URL (e.g. mongodb://127.0.0.1:27017) to run it against a real server. ***\n',
  );
}

describeWithServer('GridFsMediaStore (MONGO_URL)', () => {
  const dbName = `postloom_media_test_${process.pid}`;

  afterAll(async () => {
    const client = await new MongoClient(url!).connect();
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  describeMediaStoreContract('GridFsMediaStore', async () => {
    const store = await GridFsMediaStore.connect(url!, { dbName, prefix: `t${randomUUID().slice(0, 8)}_` });
    return { store, cleanup: () => store.close() };
  });
});
