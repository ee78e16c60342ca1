import { MongoBulkWriteError, type WriteError } from 'mongodb';
import { saveGuarded } from './mongo-read-model';

interface Stored {
  _id: string;
  revision?: number;
  title?: string;
}

/**
 * A driver-level double of one MongoDB collection that answers as the server does for
 * these writes: an upsert whose filter (`_id` plus an `$or` revision guard) matches no
 * document inserts one, and that insert fails with E11000 when a document with the `_id`
 * exists, including one that another writer inserted after this writer's filter missed.
 * The server does not retry such an upsert when the filter has an `$or`.
 */
class CollectionDouble {
  readonly docs = new Map<string, Stored>();
  /** Called after the filter missed and before the insert: lets a racing writer get in between. */
  beforeInsert: (() => Promise<void>) | null = null;

  private matches(filter: { _id: string; $or: [{ revision: { $lt: number } }, unknown] }): Stored | undefined {
    const doc = this.docs.get(filter._id);
    if (!doc) return undefined;
    const below = filter.$or[0].revision.$lt;
    return doc.revision === undefined || doc.revision < below ? doc : undefined;
  }

  async bulkWrite(operations: { updateOne: { filter: never; update: { $set: Stored }; upsert: boolean } }[]): Promise<unknown> {
    const writeErrors: WriteError[] = [];
    for (const [index, { updateOne }] of operations.entries()) {
      const found = this.matches(updateOne.filter);
      if (found) {
        Object.assign(found, updateOne.update.$set);
        continue;
      }
      const hook = this.beforeInsert;
      this.beforeInsert = null;
      if (hook) await hook();
      const id = (updateOne.filter as { _id: string })._id;
      if (this.docs.has(id)) writeErrors.push(({ code: 11000, index, errmsg: `E11000 duplicate key error collection: posts index: _id_ dup key: { _id: "${id}" }`} as unknown as WriteError));
      else this.docs.set(id, { ...updateOne.update.$set, _id: id });
    }
    if (writeErrors.length > 0) throw new MongoBulkWriteError({ message: writeErrors[0].errmsg, code: 11000, writeErrors } as never, {} as never);
    return {};
  }

  async updateOne(filter: never, update: { $set: Stored }): Promise<unknown> {
    const found = this.matches(filter);
    if (found) Object.assign(found, update.$set);
    return {};
  }
}

describe('saveGuarded (MongoDB read model writes, revision-guarded)', () => {
  it('two writers inserting the same new post at once: the higher revision wins', async () => {
    const posts = new CollectionDouble();
    // Writer A (revision 5) misses the filter; before it inserts, writer B inserts revision 3.
    posts.beforeInsert = () => saveGuarded(posts as never, [{ id: 'post_1', revision: 3, record: { revision: 3, title: 'three' } }]);
    await saveGuarded(posts as never, [{ id: 'post_1', revision: 5, record: { revision: 5, title: 'five' } }]);
    expect(posts.docs.get('post_1')).toEqual({ _id: 'post_1', revision: 5, title: 'five' });
  });

  it('a lower revision never replaces a higher one', async () => {
    const posts = new CollectionDouble();
    await saveGuarded(posts as never, [{ id: 'post_1', revision: 7, record: { revision: 7, title: 'seven' } }]);
    await saveGuarded(posts as never, [{ id: 'post_1', revision: 6, record: { revision: 6, title: 'six' } }]);
    expect(posts.docs.get('post_1')).toEqual({ _id: 'post_1', revision: 7, title: 'seven' });
  });
});
