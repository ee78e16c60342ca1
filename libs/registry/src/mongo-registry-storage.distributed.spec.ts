import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { MongoRegistryStorage } from './mongo-registry-storage';
import { registryStorageContract } from './testing/registry-storage-contract';

const MONGO_URL = process.env.MONGO_URL;
if (!MONGO_URL) {
  console.warn(
    '\n*** MongoRegistryStorage contract tests SKIPPED: MONGO_URL is not set. ***\n' +
      '*** Run them with MONGO_URL=mongodb://127.0.0.1:27017 npx jest libs/registry/src/mongo-registry-storage.distributed.spec.ts ***\n',
  );
}
const describeWithServer = process.env.MONGO_URL ? describe : describe.skip;

describeWithServer('MongoRegistryStorage (MONGO_URL)', () => {
  let client: MongoClient;
  const dbName = `postloom_registry_test_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    client = await new MongoClient(MONGO_URL as string).connect();
  });

  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  describe('contract', () => {
    registryStorageContract(async () => {
      const storage = new MongoRegistryStorage(client.db(dbName));
      await storage.ensureIndexes();
      await storage.dropAll();
      return storage;
    });
  });

  it('creates a unique index on the key hash and a 24 h TTL index on idempotency records', async () => {
    const storage = new MongoRegistryStorage(client.db(dbName));
    await storage.ensureIndexes();
    const keyIndexes = await client.db(dbName).collection('registry_api_keys').indexes();
    expect(keyIndexes.find((i) => i.key.key_hash === 1)).toMatchObject({ unique: true });
    const idemIndexes = await client.db(dbName).collection('registry_idempotency_keys').indexes();
    expect(idemIndexes.find((i) => i.key.created_at === 1)).toMatchObject({ expireAfterSeconds: 86400 });
    expect(idemIndexes.find((i) => i.key.workspace_id === 1 && i.key.key === 1)).toMatchObject({ unique: true });
  });
});
