import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postView } from '../../domain';
import { SqliteEventStore } from '../../event-store';
import { SqliteReadModel, postDocumentOf } from '../../read-models';
import { PostCommands } from './post-commands';
import { newPostId } from './post-ids';
import { DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS, ReadYourWrites } from './read-your-writes';

describe('ReadYourWrites', () => {
  let dir: string;
  let store: SqliteEventStore;
  let model: SqliteReadModel;
  let posts: PostCommands;
  const meta = { workspace_id: 'ws_a', actor: 'key_a' };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'posts-ryw-'));
    store = SqliteEventStore.open(join(dir, 'events.sqlite'));
    model = new SqliteReadModel(join(dir, 'read.sqlite'));
    posts = new PostCommands(store, () => new Date());
  });
  afterEach(async () => {
    await store.close();
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function create() {
    const id = newPostId();
    const outcome = await posts.execute(
      id,
      {
        type: 'CreatePost',
        post_id: id,
        workspace_id: 'ws_a',
        content: { content: 'hi', platforms: ['bluesky'], media: null, segments: null, tags: [], platform_overrides: {}, platform_settings: {}, timezone: 'UTC', accounts: null },
        scheduled_for: null,
        now: new Date().toISOString(),
      },
      meta,
    );
    return { id, outcome };
  }

  it('answers from the read model once it shows the write', async () => {
    const { id, outcome } = await create();
    const views = new ReadYourWrites(model, { readYourWritesTimeoutMs: 2000 });
    const answer = views.view('ws_a', id, outcome);
    // The projector's part, done late: the answer waits for it.
    const shown = { ...postDocumentOf(id, outcome.state, outcome.revision, outcome.position) };
    shown.view = { ...shown.view, content: 'as the read model shows it' };
    await model.save([shown], { projector: 'posts', position: outcome.position });
    expect((await answer).content).toBe('as the read model shows it');
  });

  it('falls back to the post rebuilt from the events when the read model lags past the timeout', async () => {
    const { id, outcome } = await create();
    const views = new ReadYourWrites(model, { readYourWritesTimeoutMs: 30 });
    const started = Date.now();
    expect(await views.view('ws_a', id, outcome)).toEqual(postView(outcome.state));
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(await views.settle(id, outcome.revision)).toBe(false);
  });

  it('has nothing to wait for when nothing was written', async () => {
    const views = new ReadYourWrites(model, null);
    expect(await views.settle(newPostId(), -1)).toBe(true);
    expect(DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS).toBe(5000);
  });
});
