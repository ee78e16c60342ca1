import { postStream, statusOf } from '../../domain';
import { createPost, openTestRuntime, postContent, stateOf, TestRuntime, waitFor, waitForStatus } from '../../publishing/testing';
import { Scheduler, SchedulerLogger, startScheduler } from './scheduler';

/** Collects what the scheduler reports, to tell a lost race from a silent skip. */
function recordingLogger(): SchedulerLogger & { lines: { level: string; msg?: string; obj: object }[] } {
  const lines: { level: string; msg?: string; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('scheduler', () => {
  let t: TestRuntime;
  const schedulers: Scheduler[] = [];

  const start = (logger?: SchedulerLogger): Scheduler => {
    const scheduler = startScheduler({ model: t.runtime.readModel, commands: t.commands, accounts: t.runtime.accounts, clock: t.runtime.clock, logger });
    schedulers.push(scheduler);
    return scheduler;
  };

  const publishRequests = async (postId: string) =>
    (await t.runtime.eventStore.readStream(postStream(postId))).filter((e) => e.type === 'PublishRequested');

  beforeEach(async () => {
    t = await openTestRuntime({ messaging: false });
  });

  afterEach(async () => {
    await Promise.all(schedulers.splice(0).map((s) => s.stop()));
    await t.remove();
  });

  it('sends a scheduled post to publish within a second of scheduled_for', async () => {
    await t.runtime.accounts.connect(t.workspaceId, { platform: 'mastodon', name: 'main', credentials: { access_token: 'x' }, base_url: 'http://127.0.0.1:9' });
    const scheduledFor = new Date(Date.now() + 1_500).toISOString();
    const postId = await createPost(t, postContent(['mastodon']), scheduledFor);
    start();
    const state = await waitForStatus(t, postId, ['publishing'], 5_000);
    const [requested] = await publishRequests(postId);
    const lateMs = Date.parse(requested.metadata.occurred_at) - Date.parse(scheduledFor);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(1_000);
    expect(requested.data).toMatchObject({ trigger: 'schedule', targets: [{ platform: 'mastodon', account_id: expect.stringMatching(/^acc_/) }] });
    expect(requested.metadata.actor).toBe('scheduler');
    expect(state.round?.trigger).toBe('schedule');
  });

  it('publishes a post that fell due while it was not running as soon as it starts', async () => {
    const scheduledFor = new Date(Date.now() + 300).toISOString();
    const postId = await createPost(t, postContent(['bluesky']), scheduledFor);
    await waitFor(async () => (await t.runtime.readModel.dueScheduled(new Date().toISOString(), 10)).some((d) => d.id === postId), 'the post is due');
    start();
    await waitForStatus(t, postId, ['publishing'], 2_000);
    expect(await publishRequests(postId)).toHaveLength(1);
  });

  it('publishes each post once when two replicas race for it', async () => {
    const scheduledFor = new Date(Date.now() + 1_000).toISOString();
    const postIds = await Promise.all(Array.from({ length: 10 }, () => createPost(t, postContent(['mastodon']), scheduledFor)));
    const logs = [recordingLogger(), recordingLogger()];
    start(logs[0]);
    start(logs[1]);
    for (const postId of postIds) await waitForStatus(t, postId, ['publishing'], 5_000);
    // Let both replicas finish their pass over the due posts before counting.
    await Promise.all(schedulers.splice(0).map((s) => s.stop()));
    for (const postId of postIds) expect(await publishRequests(postId)).toHaveLength(1);
    const sent = logs.flatMap((l) => l.lines).filter((l) => l.msg === 'scheduled post sent to publish');
    expect(sent).toHaveLength(postIds.length);
    expect(logs.flatMap((l) => l.lines).filter((l) => l.level === 'error')).toEqual([]);
  });

  it('leaves alone a post that was unscheduled, and one rescheduled later', async () => {
    const soon = new Date(Date.now() + 600).toISOString();
    const unscheduled = await createPost(t, postContent(['mastodon']), soon);
    const rescheduled = await createPost(t, postContent(['mastodon']), soon);
    const marker = await createPost(t, postContent(['mastodon']), new Date(Date.now() + 900).toISOString());
    const meta = { workspace_id: t.workspaceId, actor: 'test' };
    await t.commands.execute(unscheduled, { type: 'UpdatePost', changes: {}, scheduled_for: null, now: new Date().toISOString() }, meta);
    await t.commands.execute(rescheduled, { type: 'UpdatePost', changes: {}, scheduled_for: new Date(Date.now() + 3_600_000).toISOString(), now: new Date().toISOString() }, meta);
    start();
    await waitForStatus(t, marker, ['publishing'], 5_000);
    expect(statusOf(await stateOf(t, unscheduled))).toBe('draft');
    expect(statusOf(await stateOf(t, rescheduled))).toBe('scheduled');
  });
});
