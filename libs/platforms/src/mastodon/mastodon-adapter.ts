import { JsonResponse, requestJson, RequestJsonInit } from '../http';
import { delay } from '../http/delay';
import { fitImage } from '../media';
import { MediaAttachment, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { mastodonFailure, retryableWhenUnknown } from './errors';
import { apiUrl, authorization, idempotencyHeader, Instance, instanceLimits, instanceOf, mediaUpload, segmentProblems, statusBody } from './requests';
import { INSTANCE_LIMITS_TTL_MS, InstanceLimits, MASTODON_NAME, MASTODON_RULES } from './rules';

export interface MastodonAdapterOptions {
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** How long an instance's limits are trusted; default one hour. */
  instanceLimitsTtlMs?: number;
  /** How long to wait for the instance to finish processing an upload; default 2 minutes. */
  mediaProcessingTimeoutMs?: number;
  /** Pause between polls of a processing upload; default 1 s. */
  mediaPollIntervalMs?: number;
  now?: () => number;
}

interface CachedLimits {
  limits: Promise<InstanceLimits>;
  expiresAt: number;
}

interface MediaEntity {
  id: string;
  url: string | null;
}

function mediaEntity(body: unknown): MediaEntity {
  const id = (body as { id?: unknown })?.id;
  if (typeof id !== 'string' && typeof id !== 'number') throw new PlatformError('transient', `${MASTODON_NAME} answered a media upload without an id`);
  const url = (body as { url?: unknown }).url;
  return { id: String(id), url: typeof url === 'string' ? url : null };
}

export class MastodonAdapter implements PlatformAdapter {
  readonly platform = 'mastodon' as const;
  readonly rules = MASTODON_RULES;
  private readonly limitsByInstance = new Map<string, CachedLimits>();

  constructor(private readonly options: MastodonAdapterOptions = {}) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  // No `check`: beyond the domain's rules (Mastodon's defaults) only the account's instance
  // can say what it refuses, and `publishSegment` asks it before posting.

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const instance = instanceOf(request.account);
    const limits = await this.limits(instance.base, request.signal);
    const problems = segmentProblems(request, limits);
    if (problems.length > 0) throw new PlatformError('rejected', `${MASTODON_NAME} would refuse this post: ${problems.join('; ')}`);

    const mediaIds = await this.uploadMedia(instance, request.media, limits, request.signal);
    const response = await this.call(apiUrl(instance.base, '/api/v1/statuses'), {
      method: 'POST',
      headers: { ...authorization(instance.token), ...idempotencyHeader(request.idempotencyKey) },
      json: statusBody(request, mediaIds),
      signal: request.signal,
    });
    const status = response.body as { id?: unknown; url?: unknown; uri?: unknown } | undefined;
    if (status?.id === undefined) throw new PlatformError('transient', `${MASTODON_NAME} accepted the post but its answer had no id; retrying is safe`);
    const id = String(status.id);
    const url = typeof status.url === 'string' ? status.url : typeof status.uri === 'string' ? status.uri : `${instance.base}/statuses/${id}`;
    return { post_id: id, post_url: url, ref: { id } };
  }

  /** The instance's limits, read once an hour per instance (concurrent segments share one read). */
  async limits(base: string, signal?: AbortSignal): Promise<InstanceLimits> {
    const cached = this.limitsByInstance.get(base);
    if (cached && cached.expiresAt > this.now()) return cached.limits;
    const limits = this.readLimits(base, signal);
    this.limitsByInstance.set(base, { limits, expiresAt: this.now() + (this.options.instanceLimitsTtlMs ?? INSTANCE_LIMITS_TTL_MS) });
    // A failed read is not remembered: the next segment asks again.
    limits.catch(() => this.limitsByInstance.get(base)?.limits === limits && this.limitsByInstance.delete(base));
    return limits;
  }

  private async readLimits(base: string, signal?: AbortSignal): Promise<InstanceLimits> {
    for (const path of ['/api/v2/instance', '/api/v1/instance']) {
      const response = await this.call(apiUrl(base, path), { signal }, { allowNotFound: true });
      if (response.status !== 404) return instanceLimits(response.body);
    }
    // Neither endpoint: a server too old or too different to say; Mastodon's defaults are the best guess.
    return instanceLimits(undefined);
  }

  private async uploadMedia(instance: Instance, media: readonly MediaAttachment[], limits: InstanceLimits, signal?: AbortSignal): Promise<string[]> {
    const uploaded: MediaEntity[] = [];
    for (const attachment of media) {
      const loaded = await attachment.load();
      let { bytes, mime } = loaded;
      if (attachment.kind === 'image') {
        ({ bytes, mime } = await fitImage(bytes, mime, limits.imageSizeLimit));
      } else if (bytes.length > limits.videoSizeLimit) {
        throw new PlatformError('rejected', `${MASTODON_NAME} instance takes videos up to ${limits.videoSizeLimit} bytes; ${attachment.url} has ${bytes.length}`);
      }
      const response = await this.call(apiUrl(instance.base, '/api/v2/media'), {
        method: 'POST',
        headers: authorization(instance.token),
        body: mediaUpload(bytes, mime, attachment.alt_text),
        signal,
      });
      uploaded.push(mediaEntity(response.body));
    }
    for (const entity of uploaded) if (entity.url === null) await this.untilProcessed(instance, entity.id, signal);
    return uploaded.map((entity) => entity.id);
  }

  /** A 202 upload is still being processed; the instance refuses to attach it until `url` is set. */
  private async untilProcessed(instance: Instance, id: string, signal?: AbortSignal): Promise<void> {
    const deadline = this.now() + (this.options.mediaProcessingTimeoutMs ?? 120_000);
    const interval = this.options.mediaPollIntervalMs ?? 1_000;
    for (;;) {
      const response = await this.call(apiUrl(instance.base, `/api/v1/media/${encodeURIComponent(id)}`), { headers: authorization(instance.token), signal });
      if (mediaEntity(response.body).url !== null) return;
      if (this.now() + interval > deadline) throw new PlatformError('transient', `${MASTODON_NAME} is still processing media ${id}; will try again later`);
      await delay(interval, signal, () => new PlatformError('transient', `${MASTODON_NAME} media processing wait was cancelled`));
    }
  }

  private async call(url: string, init: RequestJsonInit, opts: { allowNotFound?: boolean } = {}): Promise<JsonResponse> {
    let response: JsonResponse;
    try {
      response = await requestJson(url, { timeoutMs: this.options.timeoutMs, label: MASTODON_NAME, ...init });
    } catch (err) {
      throw retryableWhenUnknown(err);
    }
    if (response.ok || (opts.allowNotFound && response.status === 404)) return response;
    throw mastodonFailure(response, this.now());
  }
}
