import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describeReadModelContract } from '../testing';
import { MongoReadModel } from './mongo-read-model';

const url = process.env.MONGO_URL;
const describeWithServer = url ? describe : describe.skip;

if (!url) {
  console.warn(
    '\n*** MongoReadModel contract suite LEFT OUT: MONGO_URL is not set. ***\n' +
      '*** Set MONGO_URL (e.g. mongodb://127.0.0.1:27017) to run it against a real server. ***\n',
  );
}

describeWithServer('MongoReadModel (MONGO_URL)', () => {
  // Each test gets collections of its own prefix in a throwaway database, dropped afterwards.
  const dbName = `postloom_test_${process.pid}`;

  afterAll(async () => {
    const client = await new MongoClient(url!).connect();
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  describeReadModelContract('MongoReadModel', async () => {
    const model = await MongoReadModel.connect(url!, { dbName, collectionPrefix: `t${randomUUID().slice(0, 8)}_` });
    return { model, cleanup: () => model.close() };
  });
});
