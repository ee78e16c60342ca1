import { FakeGraphServer, GraphRefusal, graphNow, missingParameter, unknownObject } from '../../facebook/testing/fake-graph';
import { THREADS_API_VERSION, THREADS_REPLY_CONTROLS, threadsLength } from '../rules';

/**
 * A Threads profile behind a local Threads Graph API for tests: media containers (text,
 * image, video, carousel items and carousels) that fetch their media as Threads does and
 * answer `IN_PROGRESS` for the first status reads; `threads_publish` refused until the
 * container is `FINISHED` and refused a second time; replies linked by `reply_to_id`;
 * permalinks and the profile's threads and replies. Refuses text over 500 (emoji as
 * UTF-8 bytes), replies to unknown posts, unknown `reply_control`, wrong tokens and a
 * missing API version.
 */

export interface FakeThreadsOptions {
  userId?: string;
  username?: string;
  accessToken?: string;
  version?: string;
  /** Each container answers `IN_PROGRESS` to this many status reads before `FINISHED`. */
  processingPolls?: number;
}

export interface FakeThreadsContainer {
  id: string;
  mediaType: 'TEXT' | 'IMAGE' | 'VIDEO' | 'CAROUSEL';
  isCarouselItem: boolean;
  params: Record<string, string>;
  children: string[];
  pendingPolls: number;
  status: 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'PUBLISHED';
  errorMessage?: string;
}

export interface FakeThreadsPost {
  id: string;
  text: string;
  mediaType: FakeThreadsContainer['mediaType'];
  /** The image and video items, with their alt text. */
  media: Array<{ type: 'IMAGE' | 'VIDEO'; url: string; alt_text?: string }>;
  replyTo?: string;
  replyControl: string;
  timestamp: string;
  permalink: string;
}

const NOT_READY = { message: 'Media Not Found', type: 'OAuthException', code: 24, error_subcode: 4279009, error_user_title: 'Media Not Found', error_user_msg: 'The media is not ready to be published. Please wait a moment.' };

export class FakeThreads extends FakeGraphServer {
  readonly userId: string;
  readonly username: string;
  readonly containers = new Map<string, FakeThreadsContainer>();
  readonly posts: FakeThreadsPost[] = [];
  private readonly processingPolls: number;

  private constructor(options: FakeThreadsOptions) {
    super(options.version ?? THREADS_API_VERSION, options.accessToken ?? 'fake-threads-token', 18_000_000_000_000);
    this.userId = options.userId ?? '17841400000000777';
    this.username = options.username ?? 'fakeposter';
    this.processingPolls = options.processingPolls ?? 1;
  }

  static async start(options: FakeThreadsOptions = {}): Promise<FakeThreads> {
    const fake = new FakeThreads(options);
    await fake.listen();
    return fake;
  }

  post(id: string): FakeThreadsPost | undefined {
    return this.posts.find((p) => p.id === id);
  }

  protected async route(method: string, path: string, params: Record<string, string>): Promise<unknown> {
    const [, id, edge, extra] = path.split('/');
    if (extra !== undefined || !id) throw new GraphRefusal(400, { message: `Unknown path components: ${path}`, type: 'OAuthException', code: 2500 });
    const self = id === this.userId || id === 'me';
    if (self && method === 'POST' && edge === 'threads') return this.createContainer(params);
    if (self && method === 'POST' && edge === 'threads_publish') return this.publish(params);
    if (self && method === 'GET' && edge === 'threads') return this.list(this.posts.filter((p) => !p.replyTo), params, false);
    if (self && method === 'GET' && edge === 'replies') return this.list(this.posts.filter((p) => p.replyTo), params, true);
    const container = this.containers.get(id);
    if (container && method === 'GET' && edge === undefined) return this.status(container);
    const post = this.post(id);
    if (post && method === 'GET' && edge === undefined) return { id: post.id, permalink: post.permalink, text: post.text, timestamp: post.timestamp };
    throw unknownObject(id);
  }

  private async createContainer(params: Record<string, string>): Promise<unknown> {
    const mediaType = params.media_type as FakeThreadsContainer['mediaType'] | undefined;
    if (!mediaType) throw missingParameter('media_type');
    if (!['TEXT', 'IMAGE', 'VIDEO', 'CAROUSEL'].includes(mediaType)) throw new GraphRefusal(400, { message: '(#100) Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}', type: 'OAuthException', code: 100 });
    const isCarouselItem = params.is_carousel_item === 'true';
    const text = params.text ?? '';
    if (mediaType === 'TEXT' && text.trim() === '') throw missingParameter('text');
    if (threadsLength(text) > 500) throw new GraphRefusal(400, { message: 'Param text must be at most 500 characters long.', type: 'OAuthException', code: 100, error_user_title: 'Text too long', error_user_msg: 'The post text exceeds the 500 character limit.' });
    if (params.reply_to_id !== undefined && !this.post(params.reply_to_id)) {
      throw new GraphRefusal(400, { message: 'Invalid parameter', type: 'OAuthException', code: 100, error_user_title: 'Reply target not found', error_user_msg: 'The post you are replying to does not exist or cannot be replied to.' });
    }
    if (params.reply_control !== undefined && !THREADS_REPLY_CONTROLS.includes(params.reply_control)) throw new GraphRefusal(400, { message: `(#100) Param reply_control must be one of {${THREADS_REPLY_CONTROLS.join(', ')}}`, type: 'OAuthException', code: 100 });

    const container: FakeThreadsContainer = { id: this.newId(), mediaType, isCarouselItem, params, children: [], pendingPolls: this.processingPolls, status: 'IN_PROGRESS' };
    if (mediaType === 'IMAGE') {
      if (!params.image_url) throw missingParameter('image_url');
      const fetched = await this.fetchMedia(params.image_url);
      if (!fetched || !['image/jpeg', 'image/png'].includes(fetched.mime)) {
        throw new GraphRefusal(400, { message: 'Invalid parameter', type: 'OAuthException', code: 100, error_subcode: 2207052, error_user_title: 'Media download has failed', error_user_msg: 'The image could not be fetched from this URI or is not a JPEG or PNG.' });
      }
    } else if (mediaType === 'VIDEO') {
      if (!params.video_url) throw missingParameter('video_url');
      const fetched = await this.fetchMedia(params.video_url);
      if (!fetched || !fetched.mime.startsWith('video/')) {
        container.status = 'ERROR';
        container.errorMessage = 'FAILED_DOWNLOADING_VIDEO';
      }
    } else if (mediaType === 'CAROUSEL') {
      const children = (params.children ?? '').split(',').filter((c) => c !== '');
      if (children.length < 2 || children.length > 20) throw new GraphRefusal(400, { message: '(#100) A carousel needs between 2 and 20 children', type: 'OAuthException', code: 100 });
      for (const child of children) {
        const item = this.containers.get(child);
        if (!item || !item.isCarouselItem) throw new GraphRefusal(400, { message: `(#100) Invalid carousel child ${child}`, type: 'OAuthException', code: 100 });
        if (item.status !== 'FINISHED') throw new GraphRefusal(400, NOT_READY);
      }
      container.children = children;
    }
    this.containers.set(container.id, container);
    return { id: container.id };
  }

  private status(container: FakeThreadsContainer): unknown {
    if (container.status === 'IN_PROGRESS') {
      if (container.pendingPolls > 0) container.pendingPolls--;
      else container.status = 'FINISHED';
    }
    return { id: container.id, status: container.status, ...(container.errorMessage ? { error_message: container.errorMessage } : {}) };
  }

  private publish(params: Record<string, string>): unknown {
    if (!params.creation_id) throw missingParameter('creation_id');
    const container = this.containers.get(params.creation_id);
    if (!container) throw unknownObject(params.creation_id);
    if (container.isCarouselItem) throw new GraphRefusal(400, { message: '(#100) A carousel item cannot be published on its own', type: 'OAuthException', code: 100 });
    if (container.status === 'PUBLISHED') throw new GraphRefusal(400, { message: 'The media has already been published', type: 'OAuthException', code: 100, error_subcode: 4279001 });
    if (container.status !== 'FINISHED') throw new GraphRefusal(400, NOT_READY);
    container.status = 'PUBLISHED';
    const id = this.newId();
    const items = container.mediaType === 'CAROUSEL' ? container.children.map((c) => this.containers.get(c)!) : container.mediaType === 'TEXT' ? [] : [container];
    const post: FakeThreadsPost = {
      id,
      text: container.params.text ?? '',
      mediaType: container.mediaType,
      media: items.map((item) => ({
        type: item.mediaType === 'VIDEO' ? ('VIDEO' as const) : ('IMAGE' as const),
        url: item.params.video_url ?? item.params.image_url ?? '',
        ...(item.params.alt_text ? { alt_text: item.params.alt_text } : {}),
      })),
      ...(container.params.reply_to_id ? { replyTo: container.params.reply_to_id } : {}),
      replyControl: container.params.reply_control ?? 'everyone',
      timestamp: graphNow(),
      permalink: `https://www.threads.net/@${this.username}/post/T${id.slice(-9)}`,
    };
    this.posts.push(post);
    return { id };
  }

  private list(posts: FakeThreadsPost[], params: Record<string, string>, replies: boolean): unknown {
    const since = params.since ? Number(params.since) * 1000 : -Infinity;
    const newest = posts.filter((p) => Date.parse(p.timestamp.replace('+0000', 'Z')) >= since).reverse();
    const limit = Math.min(Number(params.limit ?? 25) || 25, 100);
    const data = newest.slice(0, limit).map((p) => ({ id: p.id, text: p.text, timestamp: p.timestamp, permalink: p.permalink, ...(replies && p.replyTo ? { replied_to: { id: p.replyTo } } : {}) }));
    return newest.length > limit ? { data, paging: { next: `${this.url}/${this.version}/next?after=${limit}` } } : { data };
  }
}
