import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FileStore } from '@tus/file-store';
import { Server, type Upload } from '@tus/server';
import { type MediaLibrary, MediaRefused } from '../../../media-library';
import type { Logger } from '../../../runtime';
import { errorBody } from '../errors';
import type { PlatformRequest } from '../request-state';

export const UPLOADS_PATH = '/v1/media/uploads';
/** Unfinished resumable uploads and URL imports no post named are removed after a day. */
export const MEDIA_LEFTOVER_AGE_MS = 24 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 60 * 1000;

/** What tus hands the hooks: a web Request that still knows the Node request it came from. */
interface TusRequest {
  runtime?: { node?: { req: IncomingMessage } };
}

class TusAnswer {
  constructor(
    readonly status_code: number,
    readonly body: string,
  ) {}
}

function nodeRequest(req: unknown): PlatformRequest | undefined {
  return (req as TusRequest).runtime?.node?.req as PlatformRequest | undefined;
}

function answer(req: unknown, status: number, code: string, message: string, field?: string): TusAnswer {
  return new TusAnswer(status, JSON.stringify(errorBody(code, message, field ? [{ field, message }] : [], nodeRequest(req)?.requestId ?? '')));
}

export interface MediaUploadsOptions {
  /** Where unfinished uploads are kept (`${DATA_DIR}/media/uploads`). */
  directory: string;
  library: MediaLibrary;
  logger: Logger;
  /** `POSTLOOM_PUBLIC_URL`, for the `Location` of new uploads behind a proxy. */
  publicUrl: string | null;
}

/**
 * Resumable uploads over tus 1.0 (`@tus/server` with its file store): the upload belongs to
 * the workspace that created it; the PATCH that brings the last byte turns it into a media
 * item (same facts, caps, quota and dedup as any upload) and answers `Media-Id`.
 */
export class MediaUploads {
  readonly server: Server;
  private readonly datastore: FileStore;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly options: MediaUploadsOptions) {
    const { library } = options;
    this.datastore = new FileStore({ directory: options.directory, expirationPeriodInMilliseconds: MEDIA_LEFTOVER_AGE_MS });
    this.server = new Server({
      path: UPLOADS_PATH,
      datastore: this.datastore,
      maxSize: () => Math.max(library.limits.maxImageBytes, library.limits.maxVideoBytes),
      exposedHeaders: ['Media-Id'],
      ...(options.publicUrl ? { generateUrl: (_req, { path, id }) => `${options.publicUrl!.replace(/\/+$/, '')}${path}/${id}` } : {}),
      onUploadCreate: async (req, upload) => {
        const workspaceId = nodeRequest(req)?.context?.workspace_id;
        if (!workspaceId) throw answer(req, 401, 'unauthorized', 'missing API key');
        if (upload.size !== undefined) {
          const remaining = await library.remainingQuota(workspaceId);
          if (upload.size > remaining) throw answer(req, 413, 'payload_too_large', `the workspace's media quota would be exceeded (${remaining} bytes left)`, 'Upload-Length');
        }
        return { metadata: { ...upload.metadata, workspace_id: workspaceId } };
      },
      onIncomingRequest: async (req, id) => {
        const workspaceId = nodeRequest(req)?.context?.workspace_id;
        if (req.method === 'POST') return;
        let upload: Upload;
        try {
          upload = await this.datastore.getUpload(id);
        } catch {
          throw answer(req, 404, 'not_found', `upload ${id} not found`);
        }
        // Another workspace's upload is answered as if it did not exist.
        if (!workspaceId || upload.metadata?.workspace_id !== workspaceId) throw answer(req, 404, 'not_found', `upload ${id} not found`);
      },
      onUploadFinish: async (req, upload) => {
        const workspaceId = upload.metadata?.workspace_id;
        if (!workspaceId) throw answer(req, 404, 'not_found', `upload ${upload.id} not found`);
        try {
          const added = await library.add(workspaceId, createReadStream(join(options.directory, upload.id)), { alt_text: upload.metadata?.alt_text ?? null, origin: 'tus' });
          return { headers: { 'Media-Id': added.record.id } };
        } catch (error) {
          if (error instanceof MediaRefused) throw answer(req, error.status, error.status === 413 ? 'payload_too_large' : 'validation_error', error.message, 'file');
          throw error;
        } finally {
          // The bytes now live in the library (or were refused): the upload itself is done either way.
          await this.datastore.remove(upload.id).catch(() => undefined);
        }
      },
      onResponseError: (req, error) => {
        if (error instanceof TusAnswer) return { status_code: error.status_code, body: error.body };
        const status = 'status_code' in error ? error.status_code : 500;
        const text = ('body' in error ? error.body : error.message).trim();
        if (status >= 500) options.logger.error({ err: error, request_id: nodeRequest(req)?.requestId }, 'resumable upload failed');
        const code = status === 409 ? 'conflict' : status === 404 ? 'not_found' : status === 413 ? 'payload_too_large' : status >= 500 ? 'internal' : 'bad_request';
        return { status_code: status, body: JSON.stringify(errorBody(code, status >= 500 ? 'the upload could not be stored' : text, [], nodeRequest(req)?.requestId ?? '')) };
      },
    });
  }

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.server.handle(req, res);
  }

  /** Removes what was left behind a day ago: unfinished uploads, and URL imports no post named. */
  async sweep(): Promise<{ uploads: number; imports: number }> {
    const uploads = await this.datastore.deleteExpired();
    const imports = await this.options.library.removeUnreferencedImports(MEDIA_LEFTOVER_AGE_MS);
    return { uploads, imports };
  }

  start(): void {
    const run = () =>
      this.sweep().then(
        (removed) => {
          if (removed.uploads + removed.imports > 0) this.options.logger.info(removed, 'removed media leftovers');
        },
        (error: unknown) => this.options.logger.error({ err: error }, 'removing media leftovers failed'),
      );
    void run();
    this.sweeper = setInterval(run, SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}
