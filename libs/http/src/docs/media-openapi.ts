/** The media library's part of the OpenAPI document (`openapi.ts` merges it in). */
type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });
const error = (name: string) => ({ $ref: `#/components/responses/${name}` });
const COMMON = { '401': error('Unauthorized'), '429': error('RateLimited') };
const MEDIA_ID = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^med_[A-Za-z0-9]+$' }, example: 'med_abc123' };
const BYTES = {
  description: 'The bytes (206 with `Content-Range` when a `Range: bytes=...` was sent; 416 when it cannot be satisfied)',
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
};

export const mediaTag = { name: 'Media', description: 'The media library: uploads (multipart, URL import, resumable tus), facts read from the bytes' };

export const mediaSchemas: Record<string, Schema> = {
  Media: {
    type: 'object',
    required: ['id', 'kind', 'mime', 'bytes', 'width', 'height', 'duration_s', 'codec', 'frame_rate', 'has_audio', 'sha256', 'alt_text', 'created_at'],
    properties: {
      id: { type: 'string', example: 'med_abc123' },
      kind: { type: 'string', enum: ['image', 'video'] },
      mime: { type: 'string', enum: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'video/mp4', 'video/quicktime'], description: 'Sniffed from the bytes' },
      bytes: { type: 'integer' },
      width: { type: ['integer', 'null'], description: 'As displayed (EXIF orientation applied)' },
      height: { type: ['integer', 'null'] },
      duration_s: { type: ['number', 'null'], description: 'Videos only' },
      codec: { type: ['string', 'null'], description: 'The video track codec, e.g. avc1.64001f; videos only' },
      frame_rate: { type: ['number', 'null'], description: 'Frames per second; videos only' },
      has_audio: { type: ['boolean', 'null'], description: 'Whether the video has an audio track; null for images' },
      sha256: { type: 'string', description: 'Of the bytes; the same bytes twice in a workspace are one item' },
      alt_text: { type: ['string', 'null'] },
      created_at: { type: 'string', format: 'date-time' },
    },
  },
};

export const mediaPaths: Record<string, Schema> = {
  '/v1/media': {
    get: {
      tags: ['Media'],
      operationId: 'listMedia',
      summary: "The workspace's media, newest first",
      parameters: [
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
      ],
      responses: {
        '200': { description: 'A page', content: json({ type: 'object', required: ['media', 'total'], properties: { media: { type: 'array', items: ref('Media') }, total: { type: 'integer' } } }) },
        '422': error('ValidationError'),
        ...COMMON,
      },
    },
    post: {
      tags: ['Media'],
      operationId: 'createMedia',
      summary: 'Upload a file (multipart), or import one from a URL (JSON)',
      description:
        'The file is streamed to storage and its facts are read from the bytes, never from its name or declared type. ' +
        'Caps per kind (`MEDIA_MAX_IMAGE_BYTES`, `MEDIA_MAX_VIDEO_BYTES`) and the workspace quota (`MEDIA_QUOTA_BYTES`) answer 413; ' +
        'empty files, bytes that are no PNG/JPEG/GIF/WebP image or MP4/MOV video, and a multipart body without `file` answer 422. Nothing refused is stored. ' +
        'The same bytes already in the workspace answer 200 with the existing item.',
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' }, alt_text: { type: 'string', maxLength: 5000 } } },
          },
          'application/json': {
            schema: { type: 'object', required: ['url'], properties: { url: { type: 'string', format: 'uri', maxLength: 2048 }, alt_text: { type: 'string', maxLength: 5000 } } },
          },
        },
      },
      responses: {
        '201': { description: 'A new item', content: json(ref('Media')) },
        '200': { description: 'The item that already holds these bytes', content: json(ref('Media')) },
        '400': error('MalformedRequest'),
        '413': error('PayloadTooLarge'),
        '422': error('ValidationError'),
        ...COMMON,
      },
    },
  },
  '/v1/media/{id}': {
    parameters: [MEDIA_ID],
    get: { tags: ['Media'], operationId: 'getMedia', summary: 'An item and its facts', responses: { '200': { description: 'The item', content: json(ref('Media')) }, '404': error('NotFound'), ...COMMON } },
    delete: {
      tags: ['Media'],
      operationId: 'deleteMedia',
      summary: 'Delete an item (409 while a scheduled or publishing post uses it)',
      description: "Posts' history keeps the item's id and sha256.",
      responses: { '204': { description: 'Deleted' }, '404': error('NotFound'), '409': error('Conflict'), ...COMMON },
    },
  },
  '/v1/media/{id}/content': {
    parameters: [MEDIA_ID],
    get: { tags: ['Media'], operationId: 'getMediaContent', summary: 'The bytes of an item', responses: { '200': BYTES, '206': BYTES, '404': error('NotFound'), ...COMMON } },
  },
  '/v1/media/uploads': {
    post: {
      tags: ['Media'],
      operationId: 'createMediaUpload',
      summary: 'Start a resumable upload (tus 1.0)',
      description:
        'tus 1.0 (creation, termination, expiration): `Upload-Length` and `Upload-Metadata` (`filename`, `filetype`, `alt_text`, base64). ' +
        'Send bytes with `PATCH /v1/media/uploads/{upload_id}` (`Upload-Offset`, `Content-Type: application/offset+octet-stream`), ask the offset with `HEAD`. ' +
        'The PATCH bringing the last byte answers `Media-Id: med_...`; a PATCH at the wrong offset answers 409. Unfinished uploads are removed after 24 h.',
      responses: { '201': { description: 'Created; `Location` is the upload URL' }, '413': error('PayloadTooLarge'), ...COMMON },
    },
  },
  '/v1/public/media/{id}': {
    parameters: [MEDIA_ID],
    get: {
      tags: ['Media'],
      operationId: 'getSignedMediaContent',
      summary: 'The bytes of an item through a signed, expiring link (no API key)',
      description: 'The links given to platforms that fetch media themselves (Instagram, Threads, TikTok pull). Serves `Range` requests.',
      security: [],
      parameters: [
        { name: 'expires', in: 'query', required: true, schema: { type: 'integer' } },
        { name: 'signature', in: 'query', required: true, schema: { type: 'string' } },
      ],
      responses: { '200': BYTES, '206': BYTES, '403': { description: 'Not a valid link for this item' }, '410': { description: 'The link has expired' } },
    },
  },
};
