import { platformOutbound } from '../../../outbound';
import { createHash } from 'node:crypto';
import { AtpAgent, AppBskyFeedPost, RichText } from '@atproto/api';
import { reconnectMessage } from '../http';
import { fitImage } from '../media';
import { MediaAttachment, PlatformAdapter, PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { blueskyFailure, isSessionRefusal, loginFailure } from './errors';
import { extraProblems, imagesEmbed, postRecord, postUrl, recordKey, replyRef, resolvedFacets, segmentProblems, StrongRef, UploadedImage, videoEmbed } from './requests';
import {
  BLUESKY_DEFAULT_SERVICE,
  BLUESKY_MAX_IMAGE_BYTES,
  BLUESKY_MAX_VIDEO_BYTES,
  BLUESKY_NAME,
  BLUESKY_POST_COLLECTION,
  BLUESKY_RULES,
  BLUESKY_VIDEO_TYPES,
} from './rules';

export interface BlueskyAdapterOptions {
  /** PDS for accounts without `base_url`; default `https://bsky.social`. */
  defaultService?: string;
  /** `fetch` the agents use (default: the process's platform address policy's). */
  fetch?: typeof globalThis.fetch;
  /** Clock for the record's `createdAt`. */
  now?: () => Date;
}

interface Credentials {
  identifier: string;
  password: string;
}

/** One logged-in agent per account, kept for the adapter's life: `createSession` is rate-limited. */
interface AccountSession {
  agent: AtpAgent;
  /** Which service and credentials the agent was made for; a reconnected account gets a new agent. */
  fingerprint: string;
  login?: Promise<void>;
}

interface PreparedImage {
  kind: 'image';
  bytes: Buffer;
  mime: string;
  alt?: string;
  width?: number;
  height?: number;
}

interface PreparedVideo {
  kind: 'video';
  bytes: Buffer;
  mime: string;
  alt?: string;
}

type PreparedMedia = PreparedImage | PreparedVideo;

function credentialsOf(account: PlatformAccount): Credentials {
  const identifier = account.credentials.identifier;
  const password = account.credentials.app_password;
  if (!identifier || !password) throw new PlatformError('auth', reconnectMessage(BLUESKY_NAME, 'no identifier or app password is stored'));
  return { identifier, password };
}

/** Downloads and shapes the media before any request to the PDS, so a bad file costs no login. */
async function prepareMedia(media: readonly MediaAttachment[]): Promise<PreparedMedia[]> {
  return Promise.all(
    media.map(async (attachment): Promise<PreparedMedia> => {
      const loaded = await attachment.load();
      if (attachment.kind === 'video') {
        if (!BLUESKY_VIDEO_TYPES.includes(loaded.mime)) throw new PlatformError('rejected', `${BLUESKY_NAME} takes MP4 videos; ${attachment.url} is ${loaded.mime}`);
        if (loaded.bytes.length > BLUESKY_MAX_VIDEO_BYTES) throw new PlatformError('rejected', `${BLUESKY_NAME} takes videos up to ${BLUESKY_MAX_VIDEO_BYTES} bytes; ${attachment.url} has ${loaded.bytes.length}`);
        return { kind: 'video', bytes: loaded.bytes, mime: loaded.mime, alt: attachment.alt_text };
      }
      const fitted = await fitImage(loaded.bytes, loaded.mime, BLUESKY_MAX_IMAGE_BYTES);
      return { kind: 'image', bytes: fitted.bytes, mime: fitted.mime, alt: attachment.alt_text, width: fitted.size?.width, height: fitted.size?.height };
    }),
  );
}

export class BlueskyAdapter implements PlatformAdapter {
  readonly platform = 'bluesky' as const;
  readonly rules = BLUESKY_RULES;
  private readonly sessions = new Map<string, AccountSession>();

  constructor(private readonly options: BlueskyAdapterOptions = {}) {}

  check(request: Pick<SegmentRequest, 'media'>): string[] {
    return extraProblems(request);
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = segmentProblems(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${BLUESKY_NAME} would refuse this post: ${problems.join('; ')}`);
    const rkey = recordKey(request.requestedAt, request.index, request.idempotencyKey);
    const reply = replyRef(request);
    const media = await prepareMedia(request.media);

    return this.withSession(request.account, async (agent) => {
      const embed = await this.upload(agent, media, request.signal);
      const rich = new RichText({ text: request.text });
      await rich.detectFacets(agent);
      const record = postRecord({
        text: rich.text,
        facets: resolvedFacets(rich.facets),
        embed,
        reply,
        createdAt: (this.options.now?.() ?? new Date()).toISOString(),
      });
      const created = await this.createOnce(agent, rkey, record, request.signal);
      return this.segmentRef(agent, created);
    });
  }

  /** The segment's record, looked up by its deterministic key; null when it was never created. */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const rkey = recordKey(request.requestedAt, request.index, request.idempotencyKey);
    return this.withSession(request.account, async (agent) => {
      const existing = await this.existingRecord(agent, rkey, request.signal);
      return existing ? this.segmentRef(agent, existing) : null;
    });
  }

  private segmentRef(agent: AtpAgent, { uri, cid }: StrongRef): SegmentRef {
    const handle = agent.session?.handle;
    // A handle that no longer resolves is reported as `handle.invalid`; the DID always works in the URL.
    const profile = handle && handle !== 'handle.invalid' ? handle : agent.assertDid;
    return { post_id: uri, post_url: postUrl(profile, uri), ref: { uri, cid } };
  }

  private async upload(agent: AtpAgent, media: readonly PreparedMedia[], signal?: AbortSignal): Promise<AppBskyFeedPost.Record['embed']> {
    if (media.length === 0) return undefined;
    const video = media.find((m): m is PreparedVideo => m.kind === 'video');
    if (video) {
      const { data } = await agent.uploadBlob(video.bytes, { encoding: video.mime, signal });
      return videoEmbed(data.blob, video.alt);
    }
    const images: UploadedImage[] = [];
    for (const image of media as PreparedImage[]) {
      const { data } = await agent.uploadBlob(image.bytes, { encoding: image.mime, signal });
      images.push({ blob: data.blob, alt: image.alt, width: image.width, height: image.height });
    }
    return imagesEmbed(images);
  }

  /**
   * Creates the record under its deterministic key. A PDS refuses a second create at the
   * same key (the real one answers 500), and a lost answer leaves us not knowing: either
   * way the key is looked up, and a record already there is this segment, published.
   */
  private async createOnce(agent: AtpAgent, rkey: string, record: AppBskyFeedPost.Record, signal?: AbortSignal): Promise<StrongRef> {
    try {
      const { data } = await agent.com.atproto.repo.createRecord({ repo: agent.assertDid, collection: BLUESKY_POST_COLLECTION, rkey, record }, { signal });
      return { uri: data.uri, cid: data.cid };
    } catch (err) {
      if (isSessionRefusal(err) || (err as { status?: number }).status === 429) throw err;
      const existing = await this.existingRecord(agent, rkey, signal).catch(() => undefined);
      if (!existing) throw err;
      if (existing.text !== record.text) {
        throw new PlatformError('rejected', `${BLUESKY_NAME} record key ${rkey} already holds a different post; this segment was not published`);
      }
      return existing;
    }
  }

  private async existingRecord(agent: AtpAgent, rkey: string, signal?: AbortSignal): Promise<(StrongRef & { text?: string }) | undefined> {
    try {
      const { data } = await agent.com.atproto.repo.getRecord({ repo: agent.assertDid, collection: BLUESKY_POST_COLLECTION, rkey }, { signal });
      if (!data.cid) return undefined;
      return { uri: data.uri, cid: data.cid, text: (data.value as { text?: string }).text };
    } catch (err) {
      if ((err as { error?: string }).error === 'RecordNotFound') return undefined;
      throw err;
    }
  }

  private session(account: PlatformAccount): { session: AccountSession; credentials: Credentials } {
    const credentials = credentialsOf(account);
    const service = account.base_url ?? this.options.defaultService ?? BLUESKY_DEFAULT_SERVICE;
    const fingerprint = createHash('sha256').update(`${service}\n${credentials.identifier}\n${credentials.password}`).digest('hex');
    let session = this.sessions.get(account.id);
    if (!session || session.fingerprint !== fingerprint) {
      session = { agent: new AtpAgent({ service, fetch: this.options.fetch ?? (platformOutbound().fetch as typeof globalThis.fetch) }), fingerprint };
      this.sessions.set(account.id, session);
    }
    return { session, credentials };
  }

  /** One `createSession` at a time per account; concurrent segments wait for the same login. */
  private login(session: AccountSession, credentials: Credentials): Promise<void> {
    session.login ??= session.agent
      .login({ identifier: credentials.identifier, password: credentials.password })
      .then(
        () => undefined,
        (err: unknown) => {
          throw loginFailure(err);
        },
      )
      .finally(() => {
        session.login = undefined;
      });
    return session.login;
  }

  /**
   * Runs `work` with the account's logged-in agent. The agent refreshes an expired access
   * token by itself; when the PDS still refuses the session, what the agent did with it
   * tells why: dropped means the refresh token was refused for good (log in again, once),
   * kept unchanged means the refresh could not reach the PDS (transient, not revoked).
   */
  private async withSession<T>(account: PlatformAccount, work: (agent: AtpAgent) => Promise<T>): Promise<T> {
    const { session, credentials } = this.session(account);
    const { agent } = session;
    if (!agent.hasSession) await this.login(session, credentials);
    for (let relogged = false; ; relogged = true) {
      const tokenBefore = agent.session?.accessJwt;
      try {
        return await work(agent);
      } catch (err) {
        if (!isSessionRefusal(err)) throw blueskyFailure(err);
        if (agent.hasSession && agent.session?.accessJwt === tokenBefore && tokenBefore !== undefined) {
          throw new PlatformError('transient', `${BLUESKY_NAME} session could not be refreshed (${(err as Error).message}); it is kept for the next attempt`);
        }
        if (relogged) throw blueskyFailure(err);
        await this.login(session, credentials);
      }
    }
  }
}
