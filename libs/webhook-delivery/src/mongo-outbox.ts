import { type Collection, type Db, Long, MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb';
import type { WebhookEvent } from '../../registry';
import type { PendingDelivery, WebhookOutbox } from './outbox';

interface DeliveryDoc {
  _id: string;
  workspace_id: string;
  webhook_id: string;
  event: WebhookEvent;
  event_id: string;
  body: string;
  attempts: number;
  due_at: number;
  leased_until: number;
}

interface CheckpointDoc {
  _id: string;
  position: Long;
}

const DUPLICATE_KEY = 11000;

function toDelivery(doc: DeliveryDoc): PendingDelivery {
  return {
    id: doc._id,
    workspace_id: doc.workspace_id,
    webhook_id: doc.webhook_id,
    event: doc.event,
    event_id: doc.event_id,
    body: doc.body,
    attempts: doc.attempts,
    due_at: doc.due_at,
  };
}

/**
 * The distributed outbox in MongoDB. Claims are leases taken with `findOneAndUpdate`,
 * so several deliverer replicas share the work and never send one delivery at once.
 */
/** Whether a bulk write failed only because some of its upserts met existing documents. */
export function onlyDuplicateKeys(error: unknown): boolean {
  if (error instanceof MongoBulkWriteError) {
    if (error.err) return false;
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    return writeErrors.length > 0 && writeErrors.every((e) => e.code === DUPLICATE_KEY);
  }
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY && !(error as { writeErrors?: unknown }).writeErrors;
}

export class MongoWebhookOutbox implements WebhookOutbox {
  private readonly deliveries: Collection<DeliveryDoc>;
  private readonly checkpoints: Collection<CheckpointDoc>;

  constructor(
    db: Db,
    private readonly client?: MongoClient,
  ) {
    this.deliveries = db.collection<DeliveryDoc>('webhook_outbox');
    this.checkpoints = db.collection<CheckpointDoc>('webhook_outbox_checkpoints');
  }

  async ensureIndexes(): Promise<void> {
    await this.deliveries.createIndex({ due_at: 1 });
  }

  async enqueue(deliveries: PendingDelivery[], position: bigint): Promise<void> {
    if (deliveries.length > 0) {
      try {
        await this.deliveries.bulkWrite(
          deliveries.map((d) => ({
            updateOne: {
              filter: { _id: d.id },
              update: {
                $setOnInsert: {
                  workspace_id: d.workspace_id,
                  webhook_id: d.webhook_id,
                  event: d.event,
                  event_id: d.event_id,
                  body: d.body,
                  attempts: d.attempts,
                  due_at: d.due_at,
                  leased_until: 0,
                },
              },
              upsert: true,
            },
          })),
          { ordered: false },
        );
      } catch (err) {
        // Two replicas upserting the same delivery: the loser's insert collides, which is the
        // point. The driver's `code` is the FIRST write error's only, so every write error is
        // checked: a real failure after a duplicate must not let the checkpoint pass a lost delivery.
        if (!onlyDuplicateKeys(err)) throw err;
      }
    }
    await this.checkpoints.updateOne({ _id: 'subscription' }, { $max: { position: Long.fromBigInt(position) } }, { upsert: true });
  }

  async checkpoint(): Promise<bigint | null> {
    const doc = await this.checkpoints.findOne({ _id: 'subscription' });
    if (!doc) return null;
    const position: unknown = doc.position;
    return position instanceof Long ? position.toBigInt() : BigInt(Number(position));
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<PendingDelivery[]> {
    const claimed: PendingDelivery[] = [];
    while (claimed.length < limit) {
      const doc = await this.deliveries.findOneAndUpdate(
        { due_at: { $lte: now }, leased_until: { $lte: now } },
        { $set: { leased_until: now + leaseMs } },
        { sort: { due_at: 1 }, returnDocument: 'after' },
      );
      if (!doc) break;
      claimed.push(toDelivery(doc));
    }
    return claimed;
  }

  async reschedule(id: string, attempts: number, dueAt: number): Promise<void> {
    await this.deliveries.updateOne({ _id: id }, { $set: { attempts, due_at: dueAt, leased_until: 0 } });
  }

  async remove(id: string): Promise<void> {
    await this.deliveries.deleteOne({ _id: id });
  }

  async nextDueAt(): Promise<number | null> {
    const [next] = await this.deliveries
      .aggregate<{ at: number }>([{ $project: { at: { $max: ['$due_at', '$leased_until'] } } }, { $sort: { at: 1 } }, { $limit: 1 }])
      .toArray();
    return next ? next.at : null;
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}

export async function connectMongoWebhookOutbox(url: string, dbName?: string): Promise<MongoWebhookOutbox> {
  const client = await MongoClient.connect(url);
  try {
    const outbox = new MongoWebhookOutbox(client.db(dbName), client);
    await outbox.ensureIndexes();
    return outbox;
  } catch (err) {
    await client.close();
    throw err;
  }
}
