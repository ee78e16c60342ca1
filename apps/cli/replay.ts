import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EventStoreDbEventStore, SqliteEventStore, type EventStore } from '../../libs/event-store';
import { MongoReadModel, type PostReadModel, type ReplayProgress, SqliteReadModel, replay } from '../../libs/read-models';

/**
 * `npm run replay`: drops the post read model and rebuilds it from every post event
 * in the store. Store and model are chosen from the environment as the apps choose
 * them: `EVENTSTORE_URL` set: EventStoreDB, else SQLite at `${DATA_DIR:-./data}/events.sqlite`;
 * `MONGO_URL` set: MongoDB, else SQLite at `${DATA_DIR:-./data}/read.sqlite`.
 * A running projector may stay up: documents are guarded by revision, so its writes
 * and the replay's converge on the same documents. While the replay runs, lists show
 * only what it has rebuilt so far; to keep serving the old documents meanwhile, use
 * `replayBesideLive` from the process that runs the projector.
 */

export interface ReplayIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env?: NodeJS.ProcessEnv;
}

/** Hides the password of a connection URL in what is printed. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

function describeEta(seconds: number | null): string {
  if (seconds === null) return 'estimating';
  if (seconds < 1) return 'under 1 s left';
  if (seconds < 120) return `about ${Math.round(seconds)} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}

function progressLine(p: ReplayProgress): string {
  const share = p.headPosition > 0n ? Math.min(100, (Number(p.position) / Number(p.headPosition)) * 100) : 100;
  return `replay: ${p.events} events (${share.toFixed(1)}%), ${Math.round(p.eventsPerSecond)} events/s, ${describeEta(p.etaSeconds)}\n`;
}

export async function runReplay(io: ReplayIo = process): Promise<number> {
  const env = io.env ?? process.env;
  const dataDir = resolve(env.DATA_DIR?.trim() || './data');
  const eventStoreUrl = env.EVENTSTORE_URL?.trim() || null;
  const mongoUrl = env.MONGO_URL?.trim() || null;

  let store: EventStore | null = null;
  let model: PostReadModel | null = null;
  try {
    let storeName: string;
    if (eventStoreUrl) {
      store = new EventStoreDbEventStore(eventStoreUrl);
      storeName = `EventStoreDB ${redact(eventStoreUrl)}`;
    } else {
      const path = join(dataDir, 'events.sqlite');
      if (!existsSync(path)) {
        io.stderr.write(`replay: no event store at ${path} (set DATA_DIR, or EVENTSTORE_URL)\n`);
        return 1;
      }
      store = SqliteEventStore.open(path);
      storeName = `SQLite ${path}`;
    }
    let modelName: string;
    if (mongoUrl) {
      model = await MongoReadModel.connect(mongoUrl);
      modelName = `MongoDB ${redact(mongoUrl)}`;
    } else {
      const path = join(dataDir, 'read.sqlite');
      model = new SqliteReadModel(path);
      modelName = `SQLite ${path}`;
    }
    io.stderr.write(`replay: rebuilding the post read model (${modelName}) from ${storeName}\n`);
    const totals = await replay({ store, model, onProgress: (p) => io.stderr.write(progressLine(p)) });
    io.stdout.write(
      `replayed ${totals.events} events of ${totals.posts} posts in ${(totals.durationMs / 1000).toFixed(1)} s ` +
        `(${Math.round(totals.eventsPerSecond)} events/s); checkpoint at position ${totals.position}\n`,
    );
    return 0;
  } catch (error) {
    io.stderr.write(`replay failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  } finally {
    await model?.close();
    await store?.close();
  }
}

if (require.main === module) {
  void runReplay().then((code) => {
    process.exitCode = code;
  });
}
