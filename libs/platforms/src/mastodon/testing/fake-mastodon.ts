import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { LocalPlatformServer, ScriptedFailures } from '../../testing/fake-server';

/**
 * A Mastodon instance on 127.0.0.1 for tests: answers the endpoints the adapter uses as
 * the documented API does, and refuses what a real instance refuses (bad token, text
 * over the limit, too many or unprocessed media, unknown reply target, long
 * descriptions), with the same statuses and `{"error": ...}` bodies. Keeps every status
 * it created for assertions.
 */

export interface FakeMastodonOptions {
  accessToken?: string;
  username?: string;
  maxCharacters?: number;
  charactersReservedPerUrl?: number;
  maxMediaAttachments?: number;
  /** Reported in `/api/v2/instance` unless null (older instances do not report it); enforced either way. */
  descriptionLimit?: number | null;
  /** Uploads answer 202; this many `GET /api/v1/media/:id` then answer 206 (processing) before one answers 200 and the media is ready. */
  processingPolls?: number;
}

export interface FakeMedia {
  id: string;
  type: 'image' | 'video';
  mime: string;
  size: number;
  /** Of the bytes received, so tests can tell they arrived intact. */
  sha256: string;
  description: string | null;
  /** Polls still to answer 206. */
  pendingPolls: number;
  ready: boolean;
  statusId?: string;
}

export interface FakeStatus {
  id: string;
  text: string;
  spoiler_text: string;
  visibility: string;
  sensitive: boolean;
  in_reply_to_id: string | null;
  media: Array<{ id: string; mime: string; description: string | null }>;
  idempotency_key?: string;
  url: string;
  uri: string;
}

export interface FakeFailure {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const SUPPORTED_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'video/mp4', 'video/quicktime', 'video/webm'];
const VISIBILITIES = ['public', 'unlisted', 'private', 'direct'];
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

class Refusal {
  constructor(
    readonly status: number,
    readonly error: string,
  ) {}
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

export class FakeMastodon extends LocalPlatformServer {
  readonly statuses: FakeStatus[] = [];
  readonly media = new Map<string, FakeMedia>();
  /** Every request, in order: `METHOD /path`. */
  readonly requests: string[] = [];
  private readonly failures = new ScriptedFailures<FakeFailure>();
  private readonly drops = new ScriptedFailures<true>();
  private readonly byIdempotencyKey = new Map<string, FakeStatus>();
  private nextId = 109_000_000_000_000;
  private options: Required<FakeMastodonOptions>;

  private constructor(options: FakeMastodonOptions) {
    super('application/json; charset=utf-8');
    this.options = {
      accessToken: 'fake-mastodon-token',
      username: 'alice',
      maxCharacters: 500,
      charactersReservedPerUrl: 23,
      maxMediaAttachments: 4,
      descriptionLimit: 1500,
      processingPolls: 1,
      ...options,
    };
  }

  static async start(options: FakeMastodonOptions = {}): Promise<FakeMastodon> {
    const fake = new FakeMastodon(options);
    await fake.listen();
    return fake;
  }

  get accessToken(): string {
    return this.options.accessToken;
  }

  configure(options: FakeMastodonOptions): void {
    this.options = { ...this.options, ...options };
  }

  /** The next request to `route` (`"POST /api/v1/statuses"`) gets this answer instead. */
  failNext(route: string, failure: FakeFailure): void {
    this.failures.add(route, failure);
  }

  /** The next request to `route` is carried out, then the connection drops before the answer: an unknown outcome for the client. */
  dropAnswerOnce(route: string): void {
    this.drops.add(route, true);
  }

  requestsTo(route: string): number {
    return this.requests.filter((r) => r === route).length;
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await this.readBody(req);
    const path = new URL(req.url ?? '/', this.url).pathname;
    const route = `${req.method} ${path}`;
    this.requests.push(route);
    const drop = this.drops.take(route) !== undefined;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      if (drop) this.hangUp(req);
      else this.writeJson(res, status, payload, headers);
    };

    const failure = this.failures.take(route);
    if (failure) {
      send(failure.status, failure.body ?? { error: http.STATUS_CODES[failure.status] ?? 'Error' }, failure.headers);
      return;
    }
    try {
      if (route === 'GET /api/v2/instance') return send(200, this.instance());
      if (route === 'GET /api/v1/instance') return send(200, { uri: new URL(this.url).host, max_toot_chars: this.options.maxCharacters, configuration: this.instance().configuration });
      if (req.headers.authorization !== `Bearer ${this.options.accessToken}`) throw new Refusal(401, 'The access token is invalid');
      if (route === 'POST /api/v2/media') return await this.upload(req, body, send);
      const mediaMatch = /^\/api\/v1\/media\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && mediaMatch) return this.poll(decodeURIComponent(mediaMatch[1]), send);
      if (route === 'POST /api/v1/statuses') return await this.createStatus(req, body, send);
      throw new Refusal(404, 'Record not found');
    } catch (err) {
      if (err instanceof Refusal) return send(err.status, { error: err.error });
      send(500, { error: 'We\'re sorry, but something went wrong on our end.' });
    }
  }

  private instance() {
    const { maxCharacters, charactersReservedPerUrl, maxMediaAttachments, descriptionLimit } = this.options;
    return {
      domain: new URL(this.url).host,
      title: 'Fake Mastodon',
      version: '4.3.0',
      configuration: {
        statuses: { max_characters: maxCharacters, max_media_attachments: maxMediaAttachments, characters_reserved_per_url: charactersReservedPerUrl },
        media_attachments: {
          supported_mime_types: SUPPORTED_TYPES,
          image_size_limit: 16_777_216,
          image_matrix_limit: 33_177_600,
          video_size_limit: 103_809_024,
          ...(descriptionLimit === null ? {} : { description_limit: descriptionLimit }),
        },
      },
    };
  }

  private mediaView(media: FakeMedia) {
    const { ready } = media;
    return {
      id: media.id,
      type: media.type,
      url: ready ? `${this.url}/system/media_attachments/${media.id}` : null,
      preview_url: `${this.url}/system/media_attachments/${media.id}/small`,
      description: media.description,
      meta: {},
    };
  }

  private async upload(req: http.IncomingMessage, body: Buffer, send: (status: number, payload: unknown) => void): Promise<void> {
    let form: FormData;
    try {
      form = await this.formOf(body, req.headers['content-type'] ?? '');
    } catch {
      throw new Refusal(422, "Validation failed: File can't be blank");
    }
    const file = form.get('file');
    if (!file || typeof file === 'string' || file.size === 0) throw new Refusal(422, "Validation failed: File can't be blank");
    if (!SUPPORTED_TYPES.includes(file.type)) throw new Refusal(422, 'Validation failed: File content type is invalid, File is invalid');
    const description = form.get('description');
    const text = typeof description === 'string' && description !== '' ? description : null;
    const limit = this.options.descriptionLimit ?? 1500;
    if (text !== null && [...text].length > limit) throw new Refusal(422, `Validation failed: Description is too long (maximum is ${limit} characters)`);
    const media: FakeMedia = {
      id: String(this.nextId++),
      type: file.type.startsWith('video/') ? 'video' : 'image',
      mime: file.type,
      size: file.size,
      sha256: createHash('sha256').update(Buffer.from(await file.arrayBuffer())).digest('hex'),
      description: text,
      pendingPolls: this.options.processingPolls,
      ready: false,
    };
    this.media.set(media.id, media);
    send(202, this.mediaView(media));
  }

  private poll(id: string, send: (status: number, payload: unknown) => void): void {
    const media = this.media.get(id);
    if (!media) throw new Refusal(404, 'Record not found');
    if (media.pendingPolls > 0) {
      media.pendingPolls--;
      return send(206, this.mediaView(media));
    }
    media.ready = true;
    send(200, this.mediaView(media));
  }

  private length(text: string, spoiler: string): number {
    const countable = text
      .replace(/https?:\/\/\S+/g, 'x'.repeat(this.options.charactersReservedPerUrl))
      .replace(/@(\w+)@[\w.-]+\w/g, '@$1');
    return [...graphemes.segment(spoiler + countable)].length;
  }

  private async createStatus(req: http.IncomingMessage, body: Buffer, send: (status: number, payload: unknown) => void): Promise<void> {
    const input = (req.headers['content-type'] ?? '').includes('json')
      ? (JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>)
      : Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    const text = typeof input.status === 'string' ? input.status : '';
    const spoiler = typeof input.spoiler_text === 'string' ? input.spoiler_text : '';
    const replyTo = input.in_reply_to_id === undefined || input.in_reply_to_id === null ? null : String(input.in_reply_to_id);
    if (replyTo !== null && !this.statuses.some((s) => s.id === replyTo)) throw new Refusal(404, 'Record not found');

    const key = req.headers['idempotency-key'];
    const idempotencyKey = typeof key === 'string' && key !== '' ? `${req.headers.authorization}\n${key}` : undefined;
    const earlier = idempotencyKey ? this.byIdempotencyKey.get(idempotencyKey) : undefined;
    if (earlier) return send(200, this.statusView(earlier));

    const ids = Array.isArray(input.media_ids) ? input.media_ids.map(String) : [];
    if (ids.length > this.options.maxMediaAttachments) throw new Refusal(422, `Cannot attach more than ${this.options.maxMediaAttachments} files`);
    const media = ids.map((id) => this.media.get(id)).filter((m): m is FakeMedia => m !== undefined && m.statusId === undefined);
    if (media.length > 1 && media.some((m) => m.type === 'video')) throw new Refusal(422, 'Cannot attach a video to a post that already contains images');
    if (media.some((m) => !m.ready)) throw new Refusal(422, 'Cannot attach files that have not finished processing. Try again in a moment!');
    if (text.trim() === '' && media.length === 0) throw new Refusal(422, "Validation failed: Text can't be blank");
    if (this.length(text, spoiler) > this.options.maxCharacters) throw new Refusal(422, `Validation failed: Text character limit of ${this.options.maxCharacters} exceeded`);
    const visibility = typeof input.visibility === 'string' ? input.visibility : 'public';
    if (!VISIBILITIES.includes(visibility)) throw new Refusal(422, 'Validation failed: Visibility is not included in the list');

    const id = String(this.nextId++);
    const status: FakeStatus = {
      id,
      text,
      spoiler_text: spoiler,
      visibility,
      sensitive: input.sensitive === true || input.sensitive === 'true',
      in_reply_to_id: replyTo,
      media: media.map((m) => ({ id: m.id, mime: m.mime, description: m.description })),
      ...(typeof key === 'string' && key !== '' ? { idempotency_key: key } : {}),
      url: `${this.url}/@${this.options.username}/${id}`,
      uri: `${this.url}/users/${this.options.username}/statuses/${id}`,
    };
    for (const m of media) m.statusId = id;
    this.statuses.push(status);
    if (idempotencyKey) this.byIdempotencyKey.set(idempotencyKey, status);
    send(200, this.statusView(status));
  }

  private statusView(status: FakeStatus) {
    return {
      id: status.id,
      created_at: new Date().toISOString(),
      in_reply_to_id: status.in_reply_to_id,
      sensitive: status.sensitive,
      spoiler_text: status.spoiler_text,
      visibility: status.visibility,
      uri: status.uri,
      url: status.url,
      content: `<p>${escapeHtml(status.text)}</p>`,
      media_attachments: status.media.map((m) => this.mediaView(this.media.get(m.id)!)),
      account: { id: '1', username: this.options.username, acct: this.options.username },
    };
  }
}
