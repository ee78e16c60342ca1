import { randomBytes } from 'node:crypto';
import { Platform, PostCommand, PostConflict, PostNotFound, PostState, PublishTarget, statusOf } from '../../domain';
import { WrongExpectedRevision } from '../../event-store';
import type { PostReadModel } from '../../read-models';

/** The command side as the scheduler uses it (`PostCommands` of `libs/posts`). */
export interface SchedulerCommands {
  /** A builder command runs against the post as it is at each (re)try. */
  execute(
    postId: string,
    command: PostCommand | ((state: PostState, now: string) => Promise<PostCommand>),
    meta: { workspace_id: string; actor: string; correlation_id?: string },
    options?: { retries?: number },
  ): Promise<unknown>;
}

export interface SchedulerAccounts {
  resolveTargets(workspaceId: string, platforms: Platform[], accountIds: string[] | null): Promise<PublishTarget[]>;
}

/** pino-compatible. */
export interface SchedulerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SchedulerDeps {
  model: Pick<PostReadModel, 'dueScheduled'>;
  commands: SchedulerCommands;
  accounts: SchedulerAccounts;
  clock: () => Date;
  /** How often the due index is polled. Default 250 ms. */
  intervalMs?: number;
  /** A post due within this much is given a timer of its own, for the exact instant. Default 5 s. */
  lookaheadMs?: number;
  /** Due posts taken per look. Default 100. */
  batchSize?: number;
  /** Due posts sent at once. Default 8. */
  concurrency?: number;
  logger?: SchedulerLogger;
  newPublishId?: () => string;
}

export interface Scheduler {
  stop(): Promise<void>;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Same shape as the API's publish ids (`pub_` and 20 base62 characters). */
function randomPublishId(): string {
  let id = '';
  while (id.length < 20) {
    for (const byte of randomBytes(32)) {
      if (byte < 248 && id.length < 20) id += BASE62[byte % 62];
    }
  }
  return `pub_${id}`;
}

const silent: SchedulerLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Another writer got there first (another replica, the user): nothing is lost by moving on. */
function lostRace(err: unknown): boolean {
  return err instanceof WrongExpectedRevision || err instanceof PostConflict || err instanceof PostNotFound;
}

/**
 * Sends `RequestPublish` (trigger `schedule`) for every scheduled post that is due.
 * It polls the read model's due index every `intervalMs`, and arms a timer for the next
 * post due within `lookaheadMs` so it goes out at its instant, not up to a poll later.
 * A post that fell due while nothing ran is found by the first look at start. Any number
 * of replicas may run: the command side appends with the expected revision, so one
 * request wins and the others get a conflict and move on.
 */
export function startScheduler(deps: SchedulerDeps): Scheduler {
  const intervalMs = deps.intervalMs ?? 250;
  const lookaheadMs = deps.lookaheadMs ?? 5_000;
  const batchSize = deps.batchSize ?? 100;
  const concurrency = deps.concurrency ?? 8;
  const logger = deps.logger ?? silent;
  const newPublishId = deps.newPublishId ?? randomPublishId;

  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let precise: { at: number; timer: NodeJS.Timeout } | null = null;
  /** Posts this replica is sending right now: a second look must not send them again. */
  const sending = new Set<string>();

  const publish = async (due: { id: string; workspace_id: string }): Promise<void> => {
    const publishId = newPublishId();
    let scheduledFor: string | null = null;
    await deps.commands.execute(
      due.id,
      async (state, now) => {
        // The read model may lag behind an unschedule or another replica's publish: the
        // command side refuses those anyway, this only spares the account lookup.
        if (statusOf(state) !== 'scheduled') throw new PostConflict(`post is ${statusOf(state)}, not scheduled`);
        scheduledFor = state.scheduled_for;
        const targets = await deps.accounts.resolveTargets(state.workspace_id, state.platforms, state.accounts);
        return { type: 'RequestPublish', publish_id: publishId, trigger: 'schedule', targets, now };
      },
      { workspace_id: due.workspace_id, actor: 'scheduler', correlation_id: publishId },
      { retries: 2 },
    );
    const lateMs = scheduledFor ? deps.clock().getTime() - Date.parse(scheduledFor) : null;
    logger.info({ post_id: due.id, publish_id: publishId, scheduled_for: scheduledFor, late_ms: lateMs }, 'scheduled post sent to publish');
  };

  const arm = (at: number): void => {
    if (stopped) return;
    if (precise && precise.at <= at) return;
    if (precise) clearTimeout(precise.timer);
    const timer = setTimeout(() => {
      precise = null;
      look();
    }, Math.max(0, at - deps.clock().getTime()));
    timer.unref();
    precise = { at, timer };
  };

  const lookOnce = async (): Promise<void> => {
    for (;;) {
      const now = deps.clock().getTime();
      const candidates = await deps.model.dueScheduled(new Date(now + lookaheadMs).toISOString(), batchSize);
      const due = candidates.filter((c) => Date.parse(c.scheduled_for) <= now && !sending.has(c.id));
      const next = candidates.find((c) => Date.parse(c.scheduled_for) > now);
      if (next) arm(Date.parse(next.scheduled_for));
      let sent = 0;
      for (let i = 0; i < due.length && !stopped; i += concurrency) {
        await Promise.all(
          due.slice(i, i + concurrency).map(async (post) => {
            sending.add(post.id);
            try {
              await publish(post);
              sent++;
            } catch (err) {
              if (lostRace(err)) {
                logger.debug({ post_id: post.id, reason: (err as Error).message }, 'scheduled post taken by another writer');
              } else {
                logger.error({ err, post_id: post.id }, 'could not send a scheduled post to publish; will try again');
              }
            } finally {
              sending.delete(post.id);
            }
          }),
        );
      }
      // A full batch may hide more due posts; a batch of which nothing was sent (failures, a read model
      // still catching up) waits for the next poll instead of spinning.
      if (stopped || candidates.length < batchSize || sent === 0) return;
    }
  };

  const look = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await lookOnce();
        } catch (err) {
          logger.error({ err }, 'the scheduler could not read the due posts');
        }
      } while (again && !stopped);
    })().finally(() => {
      running = null;
    });
  };

  const poll = setInterval(look, intervalMs);
  poll.unref();
  look();
  logger.info({ interval_ms: intervalMs }, 'scheduler started');

  return {
    async stop() {
      stopped = true;
      clearInterval(poll);
      if (precise) clearTimeout(precise.timer);
      precise = null;
      if (running) await running;
    },
  };
}
