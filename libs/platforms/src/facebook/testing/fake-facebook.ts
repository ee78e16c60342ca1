import * as http from 'node:http';
import { GRAPH_VERSION } from '../rules';
import { FakeGraphServer, GraphRefusal, graphNow, missingParameter, unknownObject } from './fake-graph';

/**
 * A Facebook Page behind a local Graph API for tests: feed posts, photos (published with
 * a caption, or unpublished and attached to a feed post), videos, reels (start, hosted
 * upload, finish, then asynchronous publishing), comments. It fetches every media URL
 * as Meta does and refuses what it cannot read, unknown objects, unattached or reused
 * photo ids, a reel finished before its upload, wrong tokens and a missing version.
 */

export interface FakeFacebookOptions {
  pageId?: string;
  accessToken?: string;
  version?: string;
  /** A finished reel answers "processing" to this many status reads before it is published. */
  reelProcessingPolls?: number;
}

export interface FakePhoto {
  id: string;
  url: string;
  mime: string;
  alt_text_custom?: string;
  published: boolean;
  attachedTo?: string;
}

export interface FakeFacebookPost {
  id: string;
  kind: 'feed' | 'photo' | 'video' | 'reel';
  message: string;
  created_time: string;
  photos: FakePhoto[];
  video?: { file_url: string; mime: string };
}

export interface FakeFacebookComment {
  id: string;
  objectId: string;
  message: string;
  attachment_url?: string;
  created_time: string;
  from: { id: string; name: string };
}

interface FakeReel {
  id: string;
  phase: 'started' | 'uploaded' | 'published';
  file_url?: string;
  mime?: string;
  pendingPolls: number;
}

const MAX_MESSAGE = 63206;

export class FakeFacebook extends FakeGraphServer {
  readonly pageId: string;
  readonly posts: FakeFacebookPost[] = [];
  readonly photos = new Map<string, FakePhoto>();
  readonly comments: FakeFacebookComment[] = [];
  private readonly reels = new Map<string, FakeReel>();
  private readonly reelProcessingPolls: number;

  private constructor(options: FakeFacebookOptions) {
    super(options.version ?? GRAPH_VERSION, options.accessToken ?? 'fake-page-token', 10_000_000_000);
    this.pageId = options.pageId ?? '104000000000001';
    this.reelProcessingPolls = options.reelProcessingPolls ?? 1;
  }

  static async start(options: FakeFacebookOptions = {}): Promise<FakeFacebook> {
    const fake = new FakeFacebook(options);
    await fake.listen();
    return fake;
  }

  post(id: string): FakeFacebookPost | undefined {
    return this.posts.find((p) => p.id === id);
  }

  commentsOn(objectId: string): FakeFacebookComment[] {
    return this.comments.filter((c) => c.objectId === objectId);
  }

  protected override unversioned(path: string): boolean {
    return path.startsWith(`/video-upload/${this.version}/`);
  }

  protected async route(method: string, path: string, params: Record<string, string>, req: http.IncomingMessage): Promise<unknown> {
    const upload = new RegExp(`^/video-upload/${this.version.replace('.', '\\.')}/([^/]+)$`).exec(path);
    if (method === 'POST' && upload) return this.reelUpload(upload[1], req);
    const [, id, edge, extra] = path.split('/');
    if (extra !== undefined || !id) throw new GraphRefusal(400, { message: `Unknown path components: ${path}`, type: 'OAuthException', code: 2500 });
    if (id === this.pageId) {
      if (method === 'POST' && edge === 'feed') return this.createFeedPost(params);
      if (method === 'POST' && edge === 'photos') return this.createPhoto(params);
      if (method === 'POST' && edge === 'videos') return this.createVideo(params);
      if (method === 'POST' && edge === 'video_reels') return this.reelPhase(params);
      if (method === 'GET' && (edge === 'posts' || edge === 'feed')) return this.list(this.posts.filter((p) => p.kind !== 'reel' && p.kind !== 'video'), params, 'message');
      if (method === 'GET' && edge === 'videos') return this.list(this.posts.filter((p) => p.kind === 'video'), params, 'description');
      if (method === 'GET' && edge === 'video_reels') return this.list(this.posts.filter((p) => p.kind === 'reel'), params, 'description');
    }
    if (edge === 'comments' && method === 'POST') return this.createComment(id, params);
    if (edge === 'comments' && method === 'GET') return this.listComments(id, params);
    if (edge === undefined && method === 'GET' && this.reels.has(id)) return this.reelStatus(id);
    if (edge === undefined && method === 'GET') {
      // The Page post node: `permalink_url` is "the permanent static URL to the post on www.facebook.com"
      // (https://developers.facebook.com/docs/graph-api/reference/page-post/), not the Graph id on the host.
      const post = this.posts.find((p) => p.id === id);
      if (post) return { id: post.id, ...(String(params.fields ?? '').split(',').includes('permalink_url') ? { permalink_url: this.permalinkOf(post) } : {}) };
    }
    throw unknownObject(id);
  }

  /** What facebook.com shows for a post: the Page's own path and a `pfbid` id, unrelated to the Graph id. */
  permalinkOf(post: FakeFacebookPost): string {
    const pfbid = Buffer.from(`${post.id}:${this.pageId}`).toString('base64url');
    return `https://www.facebook.com/postloom.page/posts/pfbid0${pfbid}`;
  }

  private checkMessage(message: string | undefined): void {
    if (message !== undefined && [...message].length > MAX_MESSAGE) throw new GraphRefusal(400, { message: '(#100) Param message must be at most 63206 characters long', type: 'OAuthException', code: 100 });
  }

  private attachedPhotoIds(params: Record<string, string>): string[] {
    const entries: Array<{ media_fbid?: unknown }> = [];
    if (params.attached_media) {
      const parsed = JSON.parse(params.attached_media) as unknown;
      if (!Array.isArray(parsed)) throw new GraphRefusal(400, { message: '(#100) param attached_media must be an array.', type: 'OAuthException', code: 100 });
      entries.push(...(parsed as Array<{ media_fbid?: unknown }>));
    }
    for (const [key, value] of Object.entries(params)) if (/^attached_media\[\d+\]$/.test(key)) entries.push(JSON.parse(value) as { media_fbid?: unknown });
    return entries.map((e) => String(e.media_fbid ?? ''));
  }

  private createFeedPost(params: Record<string, string>): unknown {
    const photoIds = this.attachedPhotoIds(params);
    const message = params.message ?? '';
    if (message.trim() === '' && photoIds.length === 0 && !params.link) throw new GraphRefusal(400, { message: '(#100) Missing message or attachment', type: 'OAuthException', code: 100 });
    this.checkMessage(message);
    const photos = photoIds.map((id) => {
      const photo = this.photos.get(id);
      if (!photo) throw new GraphRefusal(400, { message: `(#100) Invalid media_fbid ${id}`, type: 'OAuthException', code: 100 });
      if (photo.published || photo.attachedTo) throw new GraphRefusal(400, { message: '(#100) The media has already been published', type: 'OAuthException', code: 100 });
      return photo;
    });
    const post: FakeFacebookPost = { id: `${this.pageId}_${this.newId()}`, kind: photos.length > 0 ? 'photo' : 'feed', message, created_time: graphNow(), photos };
    for (const photo of photos) photo.attachedTo = post.id;
    this.posts.push(post);
    return { id: post.id };
  }

  private async createPhoto(params: Record<string, string>): Promise<unknown> {
    if (!params.url) throw missingParameter('url');
    const media = await this.fetchMedia(params.url);
    if (!media || !media.mime.startsWith('image/')) throw new GraphRefusal(400, { message: '(#324) Missing or invalid image file', type: 'OAuthException', code: 324 });
    this.checkMessage(params.caption);
    const published = params.published !== 'false';
    const photo: FakePhoto = { id: this.newId(), url: params.url, mime: media.mime, ...(params.alt_text_custom ? { alt_text_custom: params.alt_text_custom } : {}), published };
    this.photos.set(photo.id, photo);
    if (!published) return { id: photo.id };
    const post: FakeFacebookPost = { id: `${this.pageId}_${this.newId()}`, kind: 'photo', message: params.caption ?? '', created_time: graphNow(), photos: [photo] };
    photo.attachedTo = post.id;
    this.posts.push(post);
    return { id: photo.id, post_id: post.id };
  }

  private async video(fileUrl: string | undefined): Promise<{ file_url: string; mime: string }> {
    if (!fileUrl) throw missingParameter('file_url');
    const media = await this.fetchMedia(fileUrl);
    if (!media || !media.mime.startsWith('video/')) throw new GraphRefusal(400, { message: '(#351) Sorry, there was a problem with your video file', type: 'OAuthException', code: 351 });
    return { file_url: fileUrl, mime: media.mime };
  }

  private async createVideo(params: Record<string, string>): Promise<unknown> {
    const video = await this.video(params.file_url);
    this.checkMessage(params.description);
    const post: FakeFacebookPost = { id: this.newId(), kind: 'video', message: params.description ?? '', created_time: graphNow(), photos: [], video };
    this.posts.push(post);
    return { id: post.id };
  }

  private reelPhase(params: Record<string, string>): unknown {
    if (params.upload_phase === 'start') {
      const reel: FakeReel = { id: this.newId(), phase: 'started', pendingPolls: this.reelProcessingPolls };
      this.reels.set(reel.id, reel);
      return { video_id: reel.id, upload_url: `${this.url}/video-upload/${this.version}/${reel.id}` };
    }
    if (params.upload_phase === 'finish') {
      const reel = params.video_id ? this.reels.get(params.video_id) : undefined;
      if (!reel) throw missingParameter('video_id');
      if (reel.phase !== 'uploaded') throw new GraphRefusal(400, { message: 'There was a problem uploading your video file. Please try again.', type: 'OAuthException', code: 6000, error_subcode: 1363130, error_user_title: 'Video Upload Is Missing', error_user_msg: 'The video was not uploaded.' });
      if (params.video_state !== 'PUBLISHED') return { success: true };
      this.checkMessage(params.description);
      reel.phase = 'published';
      this.posts.push({ id: reel.id, kind: 'reel', message: params.description ?? '', created_time: graphNow(), photos: [], video: { file_url: reel.file_url ?? '', mime: reel.mime ?? '' } });
      return { success: true };
    }
    throw new GraphRefusal(400, { message: '(#100) upload_phase must be one of the following values: start, transfer, finish, cancel', type: 'OAuthException', code: 100 });
  }

  private async reelUpload(id: string, req: http.IncomingMessage): Promise<unknown> {
    const reel = this.reels.get(id);
    if (!reel) throw unknownObject(id);
    const fileUrl = req.headers.file_url;
    const video = await this.video(typeof fileUrl === 'string' ? fileUrl : undefined);
    reel.phase = 'uploaded';
    reel.file_url = video.file_url;
    reel.mime = video.mime;
    return { success: true };
  }

  private reelStatus(id: string): unknown {
    const reel = this.reels.get(id)!;
    const publishing = reel.phase !== 'published' ? 'not_started' : reel.pendingPolls-- > 0 ? 'in_progress' : 'complete';
    return {
      id,
      status: {
        video_status: publishing === 'complete' ? 'ready' : 'processing',
        uploading_phase: { status: reel.phase === 'started' ? 'not_started' : 'complete' },
        processing_phase: { status: reel.phase === 'published' ? 'complete' : 'not_started' },
        publishing_phase: { status: publishing },
      },
    };
  }

  private async createComment(objectId: string, params: Record<string, string>): Promise<unknown> {
    const target = this.posts.find((p) => p.id === objectId) ?? this.comments.find((c) => c.id === objectId);
    if (!target) throw unknownObject(objectId);
    const message = params.message ?? '';
    if (message.trim() === '' && !params.attachment_url) throw new GraphRefusal(400, { message: '(#1) An unknown error occurred', type: 'OAuthException', code: 1, error_user_msg: 'A comment needs text or a photo.' });
    if ([...message].length > 8000) throw new GraphRefusal(400, { message: '(#100) Comment is too long', type: 'OAuthException', code: 100 });
    if (params.attachment_url) {
      const media = await this.fetchMedia(params.attachment_url);
      if (!media || !media.mime.startsWith('image/')) throw new GraphRefusal(400, { message: '(#100) attachment_url must be a valid image URL', type: 'OAuthException', code: 100 });
    }
    const postPart = objectId.includes('_') ? objectId.split('_').pop() : objectId;
    const comment: FakeFacebookComment = {
      id: `${postPart}_${this.newId()}`,
      objectId,
      message,
      ...(params.attachment_url ? { attachment_url: params.attachment_url } : {}),
      created_time: graphNow(),
      from: { id: this.pageId, name: 'Fake Page' },
    };
    this.comments.push(comment);
    return { id: comment.id };
  }

  private page<T>(items: T[], params: Record<string, string>): { data: T[]; paging?: { next: string } } {
    const limit = Math.min(Number(params.limit ?? 25) || 25, 100);
    const data = items.slice(0, limit);
    return items.length > limit ? { data, paging: { next: `${this.url}/${this.version}/next?after=${limit}` } } : { data };
  }

  private list(posts: FakeFacebookPost[], params: Record<string, string>, textField: 'message' | 'description'): unknown {
    const since = params.since ? Number(params.since) * 1000 : -Infinity;
    const newest = posts.filter((p) => Date.parse(p.created_time.replace('+0000', 'Z')) >= since).reverse();
    return this.page(
      newest.map((p) => ({ id: p.id, [textField]: p.message, created_time: p.created_time, ...((params.fields ?? '').split(',').includes('permalink_url') ? { permalink_url: this.permalinkOf(p) } : {}) })),
      params,
    );
  }

  private listComments(objectId: string, params: Record<string, string>): unknown {
    if (!this.posts.some((p) => p.id === objectId)) throw unknownObject(objectId);
    const comments = this.commentsOn(objectId);
    const ordered = params.order === 'reverse_chronological' ? comments.slice().reverse() : comments;
    return this.page(
      ordered.map((c) => ({ id: c.id, message: c.message, created_time: c.created_time, from: c.from })),
      params,
    );
  }
}
