import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../libs/event-store';
import { SqliteReadModel, replay } from '../libs/read-models';
import { planPosts, writeScenario } from '../libs/read-models/testing';

const TARGET_EVENTS = 100_000;
const POSTS_PER_ROUND = 1_000;

/**
 * Replay throughput: 100,000 post events (made through the domain's `decide`: creates,
 * updates, schedules, publishes with segments, failures, retries, deletes) appended to
 * a fresh SQLite event store in large group commits, then replayed into a fresh SQLite
 * read model. Target: 20,000 events/s or more.
 */
export async function benchReplay(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'postloom-bench-replay-'));
  const store = new SqliteEventStore(join(dir, 'events.sqlite'));
  const model = new SqliteReadModel(join(dir, 'read.sqlite'));
  try {
    let events = 0;
    let posts = 0;
    const appendStarted = performance.now();
    for (let round = 0; events < TARGET_EVENTS; round++) {
      const plans = planPosts({ posts: POSTS_PER_ROUND, seed: round + 1, idPrefix: `r${round}-` });
      const written = await writeScenario(store, plans);
      events += written.events;
      posts += written.posts;
    }
    const appendMs = performance.now() - appendStarted;

    const totals = await replay({ store, model });
    if (totals.events !== events) throw new Error(`replayed ${totals.events} events, wrote ${events}`);
    const figures = {
      events,
      posts,
      append_ms: Math.round(appendMs),
      append_events_per_s: Math.round((events * 1000) / appendMs),
      replay_ms: Math.round(totals.durationMs),
      replay_events_per_s: Math.round(totals.eventsPerSecond),
      replay_documents_written: totals.documentsWritten,
    };
    console.log(
      `replay: ${events} events of ${posts} posts replayed in ${figures.replay_ms} ms = ${figures.replay_events_per_s} events/s ` +
        `(target >= 20000); appended (decide + append) at ${figures.append_events_per_s} events/s`,
    );
    return figures;
  } finally {
    await model.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchReplay().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
