import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import busboy from 'busboy';
import type { Request, Response } from 'express';
import { type MediaLibrary, MediaRefused, type MediaRecord, type MediaUrlSigner, type MediaView, mediaView, type StagedMedia } from '../../../media-library';
import { PlatformError, streamMedia } from '../../../platforms';
import type { PostReadModel } from '../../../read-models';
import type { RuntimeConfig } from '../../../runtime';
import { Caller, CLOCK, type Clock, CONFIG, MEDIA_LIBRARY, MEDIA_URLS, POST_READ_MODEL, type RequestContext } from '../../../wiring';
import { ApiError, RequestInvalid } from '../errors';
import { validationDetails } from '../validation';
import { ImportMediaBody, ListMediaQuery, MAX_MEDIA_ALT_TEXT } from './media.dto';
import { sendMedia } from './media-serving';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';

function notFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `media ${id} not found`);
}

function refusal(error: MediaRefused): ApiError {
  return new ApiError(error.status, error.status === 413 ? 'payload_too_large' : 'validation_error', error.message, [{ field: error.field, message: error.message }]);
}

/** A large video from a slow host may take a while; the download is cut off after this. */
const URL_IMPORT_TIMEOUT_MS = 15 * 60 * 1000;

/** Posts in these states will still read their media; the media must stay. */
const IN_USE_STATUSES = ['scheduled', 'publishing'] as const;

/**
 * The workspace's media library: uploads (multipart, or a URL to import), facts, bytes, and
 * deletion while no scheduled or publishing post needs the item.
 */
@Controller('media')
export class MediaController {
  constructor(
    @Inject(MEDIA_LIBRARY) private readonly library: MediaLibrary,
    @Inject(POST_READ_MODEL) private readonly posts: PostReadModel,
    @Inject(CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Post()
  async create(@Caller() caller: RequestContext, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<MediaView> {
    const type = req.headers['content-type'] ?? '';
    const added = /^multipart\/form-data/i.test(type) ? await this.fromMultipart(caller.workspace_id, req) : await this.fromUrl(caller.workspace_id, req.body);
    // The same bytes again are the item already there: 200, not a second 201.
    res.status(added.created ? 201 : 200);
    return mediaView(added.record);
  }

  @Get()
  async list(@Caller() caller: RequestContext, @Query() query: ListMediaQuery): Promise<{ media: MediaView[]; total: number }> {
    const page = await this.library.list(caller.workspace_id, query.limit ?? 20, query.offset ?? 0);
    return { media: page.media.map(mediaView), total: page.total };
  }

  @Get(':id')
  async get(@Caller() caller: RequestContext, @Param('id') id: string): Promise<MediaView> {
    return mediaView(await this.found(caller, id));
  }

  @Get(':id/content')
  async content(@Caller() caller: RequestContext, @Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const record = await this.found(caller, id);
    res.setHeader('Cache-Control', 'private, max-age=3600');
    await sendMedia(this.library, record, req, res);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() caller: RequestContext, @Param('id') id: string): Promise<void> {
    const record = await this.found(caller, id);
    const user = await this.postUsing(caller.workspace_id, record.id);
    if (user) throw new ApiError(409, 'conflict', `media ${id} is used by ${user.status} post ${user.id}; delete or change the post first`);
    await this.library.remove(record);
  }

  private async found(caller: RequestContext, id: string): Promise<MediaRecord> {
    const record = await this.library.get(caller.workspace_id, id);
    if (!record) throw notFound(id);
    return record;
  }

  /** A scheduled or publishing post naming the item, wherever in its content (any media shape). */
  private async postUsing(workspaceId: string, id: string): Promise<{ id: string; status: string } | null> {
    const needle = `"${id}"`;
    for (const status of IN_USE_STATUSES) {
      for (let offset = 0; ; offset += 100) {
        const page = await this.posts.list({ workspace_id: workspaceId, status, limit: 100, offset });
        const user = page.posts.find((post) => JSON.stringify(post).includes(needle));
        if (user) return { id: user.id, status };
        if (page.posts.length < 100) break;
      }
    }
    return null;
  }

  private async fromUrl(workspaceId: string, body: unknown): Promise<{ record: MediaRecord; created: boolean }> {
    if (body === undefined || body === null || typeof body !== 'object') {
      throw new ApiError(415, 'unsupported_media_type', 'send the file as multipart/form-data (field "file"), or JSON {"url": ...} to import one', [
        { field: 'Content-Type', message: 'must be multipart/form-data or application/json' },
      ]);
    }
    const input = plainToInstance(ImportMediaBody, body);
    const errors = await validate(input, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) throw new RequestInvalid(validationDetails(errors));
    // Streamed from the web into storage under the media address policy: the cap and the
    // sniffing are the library's, as for an upload.
    let staged: StagedMedia | undefined;
    try {
      await streamMedia(input.url, { maxBytes: Math.max(this.library.limits.maxImageBytes, this.library.limits.maxVideoBytes), allowPrivateNetworks: this.config.mediaAllowPrivateNetworks, timeoutMs: URL_IMPORT_TIMEOUT_MS }, async (body) => {
        staged = await this.library.stage(workspaceId, body, 'url');
      });
    } catch (error) {
      if (error instanceof MediaRefused) throw refusal(error);
      if (!(error instanceof PlatformError)) throw error;
      const status = /larger than/.test(error.message) ? 413 : 422;
      throw new ApiError(status, status === 413 ? 'payload_too_large' : 'validation_error', error.message, [{ field: 'url', message: error.message }]);
    }
    if (!staged) throw new ApiError(422, 'validation_error', 'the URL answered without a file', [{ field: 'url', message: 'no body' }]);
    return this.library.commit(staged, { alt_text: input.alt_text ?? null, origin: 'url' });
  }

  /**
   * `file` streams into storage as it arrives; `alt_text` may come before or after it. The
   * item is made once the whole body is read, so a refused file leaves nothing behind.
   */
  private async fromMultipart(workspaceId: string, req: Request): Promise<{ record: MediaRecord; created: boolean }> {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, highWaterMark: 1024 * 1024, fileHwm: 1024 * 1024, limits: { files: 1, fields: 20, parts: 40, fieldSize: MAX_MEDIA_ALT_TEXT * 4 } });
    } catch (error) {
      throw new ApiError(400, 'bad_request', `the multipart body cannot be read: ${(error as Error).message}`, [{ field: 'Content-Type', message: 'needs a boundary' }]);
    }
    let altText: string | null = null;
    let staging: Promise<StagedMedia> | null = null;
    parser.on('field', (name, value) => {
      if (name === 'alt_text') altText = value;
    });
    parser.on('file', (name, stream) => {
      if (name !== 'file' || staging) {
        stream.resume();
        return;
      }
      staging = this.library.stage(workspaceId, stream, 'file');
      // A refused file is still read to its end, so the rest of the body (alt_text) and the answer can follow.
      staging.catch(() => stream.resume());
    });
    const parsed = new Promise<void>((resolve, reject) => {
      parser.on('close', resolve);
      parser.on('error', reject);
      req.on('aborted', () => reject(new Error('the client closed the connection')));
    });
    req.pipe(parser);
    let parseError: unknown = null;
    await parsed.catch((error: unknown) => (parseError = error));
    const pending = staging as Promise<StagedMedia> | null;
    if (!pending) {
      if (parseError) throw new ApiError(400, 'bad_request', `the multipart body cannot be read: ${(parseError as Error).message}`, [{ field: 'body', message: 'malformed multipart' }]);
      throw new RequestInvalid([{ field: 'file', message: 'is required: a multipart part named "file"' }], 'no file in the multipart body');
    }
    let staged: StagedMedia;
    try {
      staged = await pending;
    } catch (error) {
      if (error instanceof MediaRefused) throw refusal(error);
      if (parseError || req.destroyed) throw new ApiError(400, 'bad_request', 'the upload was cut short', [{ field: 'file', message: 'incomplete' }]);
      throw error;
    }
    if (parseError) {
      await this.library.discard(staged);
      throw new ApiError(400, 'bad_request', `the multipart body cannot be read: ${(parseError as Error).message}`, [{ field: 'body', message: 'malformed multipart' }]);
    }
    const alt = altText as string | null;
    if (alt !== null && alt.length > MAX_MEDIA_ALT_TEXT) {
      await this.library.discard(staged);
      throw new RequestInvalid([{ field: 'alt_text', message: `must be at most ${MAX_MEDIA_ALT_TEXT} characters` }]);
    }
    return this.library.commit(staged, { alt_text: alt, origin: 'upload' });
  }
}

/** Key-less links for platforms that fetch media themselves; the signature is the authority. */
@Controller('public/media')
export class PublicMediaController {
  constructor(
    @Inject(MEDIA_LIBRARY) private readonly library: MediaLibrary,
    @Inject(MEDIA_URLS) private readonly urls: MediaUrlSigner,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(':id')
  async content(@Param('id') id: string, @Query('expires') expires: unknown, @Query('signature') signature: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const verdict = this.urls.verify(id, expires, signature, this.clock());
    if (verdict === 'expired') throw new ApiError(410, 'gone', 'this media link has expired');
    if (verdict === 'invalid') throw new ApiError(403, 'forbidden', 'this media link is not valid');
    const record = await this.library.store.getRecord(id);
    if (!record) throw notFound(id);
    res.setHeader('Cache-Control', 'private, no-store');
    await sendMedia(this.library, record, req, res);
  }
}
