import { GRAPH_VERSION } from '../../facebook/rules';
import { FakeGraphServer, GraphRefusal, graphNow, missingParameter, unknownObject } from '../../facebook/testing/fake-graph';

/**
 * An Instagram professional account behind a local Graph API for tests: media
 * containers (image, reel, story, carousel items and carousels) that fetch their media
 * as Instagram does and answer `IN_PROGRESS` for the first status reads, `media_publish`
 * refused with Meta's error before a container is `FINISHED`, comments, listings and
 * permalinks. Refuses non-JPEG images, alt text on reels and stories, long captions,
 * carousels of the wrong size, publishing a carousel item or a container twice.
 */

export interface FakeInstagramOptions {
  igUserId?: string;
  accessToken?: string;
  username?: string;
  version?: string;
  /** Each container answers `IN_PROGRESS` to this many status reads before `FINISHED`. */
  processingPolls?: number;
  /** Containers whose media URL contains this string end in `ERROR` instead. */
  failingMediaMarker?: string;
}

export interface FakeContainer {
  id: string;
  mediaType: 'IMAGE' | 'VIDEO' | 'REELS' | 'STORIES' | 'CAROUSEL';
  isCarouselItem: boolean;
  params: Record<string, string>;
  mime?: string;
  /** Of the bytes the container fetched. */
  sha256?: string;
  children: string[];
  pendingPolls: number;
  status: 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'PUBLISHED';
}

export interface FakeInstagramMedia {
  id: string;
  container: FakeContainer;
  caption: string;
  media_type: string;
  media_product_type: 'FEED' | 'REELS' | 'STORY';
  timestamp: string;
  permalink: string;
  children: FakeContainer[];
}

export interface FakeInstagramComment {
  id: string;
  mediaId: string;
  text: string;
  timestamp: string;
}

const NOT_READY = { message: 'Media ID is not available', type: 'OAuthException', code: 9007, error_subcode: 2207027, error_user_title: 'Media ID is not available', error_user_msg: 'The media is not ready for publishing, please wait for a moment' };

export class FakeInstagram extends FakeGraphServer {
  readonly igUserId: string;
  readonly username: string;
  readonly containers = new Map<string, FakeContainer>();
  readonly media: FakeInstagramMedia[] = [];
  readonly comments: FakeInstagramComment[] = [];
  private readonly processingPolls: number;
  private readonly failingMediaMarker?: string;

  private constructor(options: FakeInstagramOptions) {
    super(options.version ?? GRAPH_VERSION, options.accessToken ?? 'fake-instagram-token', 17_900_000_000_000);
    this.igUserId = options.igUserId ?? '17841400000000001';
    this.username = options.username ?? 'fakebrand';
    this.processingPolls = options.processingPolls ?? 1;
    this.failingMediaMarker = options.failingMediaMarker;
  }

  static async start(options: FakeInstagramOptions = {}): Promise<FakeInstagram> {
    const fake = new FakeInstagram(options);
    await fake.listen();
    return fake;
  }

  commentsOn(mediaId: string): FakeInstagramComment[] {
    return this.comments.filter((c) => c.mediaId === mediaId);
  }

  protected async route(method: string, path: string, params: Record<string, string>): Promise<unknown> {
    const [, id, edge, extra] = path.split('/');
    if (extra !== undefined || !id) throw new GraphRefusal(400, { message: `Unknown path components: ${path}`, type: 'OAuthException', code: 2500 });
    if (id === this.igUserId) {
      if (method === 'POST' && edge === 'media') return this.createContainer(params);
      if (method === 'POST' && edge === 'media_publish') return this.publish(params);
      if (method === 'GET' && edge === 'media') return this.list(this.media.filter((m) => m.media_product_type !== 'STORY'), params);
      if (method === 'GET' && edge === 'stories') return this.list(this.media.filter((m) => m.media_product_type === 'STORY'), params);
    }
    const container = this.containers.get(id);
    if (container && method === 'GET' && edge === undefined) return this.containerStatus(container);
    const media = this.media.find((m) => m.id === id);
    if (media && method === 'GET' && edge === undefined) return { id: media.id, permalink: media.permalink, caption: media.caption, timestamp: media.timestamp };
    if (media && edge === 'comments' && method === 'POST') return this.comment(media, params);
    if (media && edge === 'comments' && method === 'GET') return this.listComments(media, params);
    throw unknownObject(id);
  }

  private async createContainer(params: Record<string, string>): Promise<unknown> {
    const isCarouselItem = params.is_carousel_item === 'true';
    const mediaType = (params.media_type ?? 'IMAGE') as FakeContainer['mediaType'];
    if (!['IMAGE', 'VIDEO', 'REELS', 'STORIES', 'CAROUSEL'].includes(mediaType)) throw new GraphRefusal(400, { message: '(#100) The parameter media_type is not supported', type: 'OAuthException', code: 100 });
    if (mediaType === 'VIDEO' && !isCarouselItem) throw new GraphRefusal(400, { message: '(#100) The VIDEO media type is no longer supported for feed posts. Use REELS.', type: 'OAuthException', code: 100, error_subcode: 2207067 });
    if (params.caption !== undefined && [...params.caption].length > 2200) throw new GraphRefusal(400, { message: '(#100) The caption is too long; it can be up to 2200 characters', type: 'OAuthException', code: 100 });
    if (params.alt_text !== undefined && (mediaType === 'REELS' || mediaType === 'STORIES' || mediaType === 'CAROUSEL')) throw new GraphRefusal(400, { message: '(#100) alt_text is supported for images only', type: 'OAuthException', code: 100 });
    if (params.collaborators !== undefined && (mediaType === 'STORIES' || isCarouselItem)) throw new GraphRefusal(400, { message: '(#100) collaborators are not supported for this media type', type: 'OAuthException', code: 100 });

    const container: FakeContainer = { id: this.newId(), mediaType, isCarouselItem, params, children: [], pendingPolls: this.processingPolls, status: 'IN_PROGRESS' };
    if (mediaType === 'CAROUSEL') {
      const children = (params.children ?? '').split(',').filter((c) => c !== '');
      if (children.length < 2 || children.length > 10) throw new GraphRefusal(400, { message: '(#100) The carousel must have between 2 and 10 children', type: 'OAuthException', code: 100, error_subcode: 2207040 });
      for (const child of children) {
        const item = this.containers.get(child);
        if (!item || !item.isCarouselItem) throw new GraphRefusal(400, { message: `(#100) Invalid carousel child ${child}`, type: 'OAuthException', code: 100 });
        if (item.status !== 'FINISHED') throw new GraphRefusal(400, NOT_READY);
      }
      container.children = children;
    } else {
      const url = mediaType === 'REELS' || mediaType === 'VIDEO' ? params.video_url : (params.image_url ?? params.video_url);
      if (!url) throw missingParameter(mediaType === 'REELS' || mediaType === 'VIDEO' ? 'video_url' : 'image_url');
      const fetched = await this.fetchMedia(url);
      const wantVideo = Boolean(params.video_url);
      const fits = fetched && (wantVideo ? fetched.mime.startsWith('video/') : fetched.mime === 'image/jpeg');
      if (!fetched || !fits) {
        throw new GraphRefusal(400, { message: 'Only photo or video can be accepted as media type.', type: 'OAuthException', code: 9004, error_subcode: 2207052, error_user_title: 'Media download has failed', error_user_msg: "The media could not be fetched from this URI or it is not a JPEG image or a supported video: it doesn't meet our requirements." });
      }
      container.mime = fetched.mime;
      container.sha256 = fetched.sha256;
      if (this.failingMediaMarker && url.includes(this.failingMediaMarker)) container.status = 'ERROR';
    }
    this.containers.set(container.id, container);
    return { id: container.id };
  }

  private containerStatus(container: FakeContainer): unknown {
    if (container.status === 'IN_PROGRESS') {
      if (container.pendingPolls > 0) container.pendingPolls--;
      else container.status = 'FINISHED';
    }
    const status = container.status === 'ERROR' ? 'Error: Media upload has failed with error code 2207026' : container.status === 'FINISHED' ? 'Finished: Media has been uploaded and it is ready to be published.' : 'In Progress: Media is still being processed.';
    return { id: container.id, status_code: container.status, status };
  }

  private publish(params: Record<string, string>): unknown {
    if (!params.creation_id) throw missingParameter('creation_id');
    const container = this.containers.get(params.creation_id);
    if (!container) throw unknownObject(params.creation_id);
    if (container.isCarouselItem) throw new GraphRefusal(400, { message: '(#100) A carousel item cannot be published on its own', type: 'OAuthException', code: 100 });
    if (container.status === 'PUBLISHED') throw new GraphRefusal(400, { message: 'The media has already been published', type: 'OAuthException', code: 9007, error_subcode: 2207008 });
    if (container.status !== 'FINISHED') throw new GraphRefusal(400, NOT_READY);
    container.status = 'PUBLISHED';
    const id = this.newId();
    const product = container.mediaType === 'STORIES' ? 'STORY' : container.mediaType === 'REELS' ? 'REELS' : 'FEED';
    const media: FakeInstagramMedia = {
      id,
      container,
      caption: container.params.caption ?? '',
      media_type: container.mediaType === 'CAROUSEL' ? 'CAROUSEL_ALBUM' : container.mediaType === 'IMAGE' ? 'IMAGE' : 'VIDEO',
      media_product_type: product,
      timestamp: graphNow(),
      permalink: `https://www.instagram.com/${product === 'REELS' ? 'reel' : product === 'STORY' ? `stories/${this.username}` : 'p'}/F${id.slice(-8)}/`,
      children: container.children.map((c) => this.containers.get(c)!),
    };
    this.media.push(media);
    return { id };
  }

  private comment(media: FakeInstagramMedia, params: Record<string, string>): unknown {
    if (media.media_product_type === 'STORY') throw unknownObject(media.id);
    const text = params.message ?? '';
    if (text.trim() === '') throw missingParameter('message');
    if ([...text].length > 2200) throw new GraphRefusal(400, { message: '(#100) The comment is too long', type: 'OAuthException', code: 100 });
    const comment: FakeInstagramComment = { id: this.newId(), mediaId: media.id, text, timestamp: graphNow() };
    this.comments.push(comment);
    return { id: comment.id };
  }

  private page<T>(items: T[], params: Record<string, string>): { data: T[]; paging?: { next: string } } {
    const limit = Math.min(Number(params.limit ?? 25) || 25, 100);
    return items.length > limit ? { data: items.slice(0, limit), paging: { next: `${this.url}/${this.version}/next?after=${limit}` } } : { data: items };
  }

  private list(media: FakeInstagramMedia[], params: Record<string, string>): unknown {
    const since = params.since ? Number(params.since) * 1000 : -Infinity;
    const newest = media.filter((m) => Date.parse(m.timestamp.replace('+0000', 'Z')) >= since).reverse();
    return this.page(
      newest.map((m) => ({ id: m.id, caption: m.caption, timestamp: m.timestamp, permalink: m.permalink })),
      params,
    );
  }

  private listComments(media: FakeInstagramMedia, params: Record<string, string>): unknown {
    return this.page(
      this.commentsOn(media.id)
        .slice()
        .reverse()
        .map((c) => ({ id: c.id, text: c.text, timestamp: c.timestamp, from: { id: this.igUserId, username: this.username } })),
      params,
    );
  }
}
