import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeReadModelContract } from '../testing';
import { PostTimeline } from './testing/post-scenario';
import { projectPostEvent } from './projection';
import { SqliteReadModel } from './sqlite-read-model';

describeReadModelContract('SqliteReadModel', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'postloom-read-'));
  const model = new SqliteReadModel(join(dir, 'read.sqlite'));
  return {
    model,
    cleanup: async () => {
      await model.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteReadModel', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'postloom-read-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function createdPost(id: string) {
    const timeline = new PostTimeline();
    const [created] = timeline.run(id, 'ws', {
      type: 'CreatePost',
      post_id: id,
      workspace_id: 'ws',
      content: { content: 'hi', platforms: ['bluesky'], media: null, segments: null, tags: ['x'], platform_overrides: {}, platform_settings: {}, timezone: 'UTC', accounts: null },
      scheduled_for: null,
      now: '2026-05-01T08:00:00.000Z',
    });
    return { created, doc: projectPostEvent(null, created)! };
  }

  it('keeps its documents across reopening the file', async () => {
    const path = join(dir, 'read.sqlite');
    const { doc } = createdPost('p1');
    const first = new SqliteReadModel(path);
    await first.save([doc], { projector: 'posts', position: 5n });
    await first.close();
    const second = new SqliteReadModel(path);
    expect(await second.get('ws', 'p1')).toEqual(doc.view);
    expect(await second.checkpoint('posts')).toBe(5n);
    await second.close();
  });

  it('sees a save made through another connection while waiting for a revision', async () => {
    const path = join(dir, 'read.sqlite');
    const reader = new SqliteReadModel(path, { pollIntervalMs: 5 });
    const writer = new SqliteReadModel(path);
    const { doc } = createdPost('p1');
    const waiting = reader.waitForRevision('p1', 0, 5000);
    const started = Date.now();
    await writer.save([doc], { projector: 'posts', position: 1n });
    expect(await waiting).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    await Promise.all([reader.close(), writer.close()]);
  });

  it('ends pending waits with false when closed', async () => {
    const model = new SqliteReadModel(join(dir, 'read.sqlite'));
    const waiting = model.waitForRevision('p1', 0, 10_000);
    await model.close();
    expect(await waiting).toBe(false);
  });

  it('switches to a rebuilt file: the live instance serves the rebuilt documents', async () => {
    const path = join(dir, 'read.sqlite');
    const live = new SqliteReadModel(path);
    const { doc: old } = createdPost('old');
    await live.save([old], { projector: 'posts', position: 1n });
    const rebuilt = await live.prepareRebuild();
    const { doc: fresh } = createdPost('fresh');
    await rebuilt.save([fresh], { projector: 'posts', position: 9n });
    expect(await live.get('ws', 'old')).toEqual(old.view);
    await live.switchTo(rebuilt);
    expect(await live.get('ws', 'fresh')).toEqual(fresh.view);
    expect(await live.get('ws', 'old')).toBeNull();
    expect(await live.checkpoint('posts')).toBe(9n);
    await expect(rebuilt.get('ws', 'fresh')).rejects.toThrow(/closed/);
    await live.close();
    const reopened = new SqliteReadModel(path);
    expect(await reopened.get('ws', 'fresh')).toEqual(fresh.view);
    await reopened.close();
  });

  it('refuses to switch while another connection holds the live file open', async () => {
    const path = join(dir, 'read.sqlite');
    const live = new SqliteReadModel(path);
    const other = new SqliteReadModel(path);
    const { doc: old } = createdPost('old');
    await live.save([old], { projector: 'posts', position: 1n });
    const rebuilt = await live.prepareRebuild();
    await expect(live.switchTo(rebuilt)).rejects.toThrow(/another process/);
    expect(await live.get('ws', 'old')).toEqual(old.view);
    await Promise.all([live.close(), other.close()]);
  });
});
