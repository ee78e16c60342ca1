import { MAX_GROUP_ID_LENGTH, MAX_IMAGES, MAX_SEGMENT_LENGTH, MAX_SEGMENTS, PLATFORMS, POST_STATUSES } from '../../../domain';
import { WEBHOOK_EVENTS } from '../../../registry';
import { mediaPaths, mediaSchemas, mediaTag } from './media-openapi';

/**
 * The OpenAPI 3.1 description of CONTRACT.md, written by hand so that it says what the
 * contract says (limits, error codes, headers) rather than what decorators can infer.
 */

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ oneOf: [schema, { type: 'null' }] });
const json = (schema: Schema) => ({ 'application/json': { schema } });

const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { $ref: '#/components/headers/X-RateLimit-Limit' },
  'X-RateLimit-Remaining': { $ref: '#/components/headers/X-RateLimit-Remaining' },
  'X-RateLimit-Reset': { $ref: '#/components/headers/X-RateLimit-Reset' },
  'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
};

function ok(description: string, schema: Schema | null, status = '200'): Record<string, unknown> {
  return {
    [status]: { description, headers: RATE_LIMIT_HEADERS, ...(schema ? { content: json(schema) } : {}) },
  };
}

const errors = (...statuses: number[]): Record<string, unknown> =>
  Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/${ERROR_RESPONSES[status]}` }]));

const ERROR_RESPONSES: Record<number, string> = {
  400: 'MalformedRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  422: 'ValidationError',
  429: 'RateLimited',
};

/** What every authenticated operation can answer besides its own outcomes. */
const COMMON = [401, 429];
const POST_ID = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^post_[A-Za-z0-9]+$' }, example: 'post_abc123' };
const ID = (prefix: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, example: `${prefix}_abc123` });
const IDEMPOTENCY = { $ref: '#/components/parameters/IdempotencyKey' };

const platform = { type: 'string', enum: [...PLATFORMS] };

const postContentProperties: Record<string, Schema> = {
  content: { type: 'string', minLength: 1, description: 'The post content (segment 0 of a thread). Character limits per platform are checked at publish time.' },
  platforms: { type: 'array', items: platform, minItems: 1, uniqueItems: true },
  scheduled_for: nullable({
    type: 'string',
    description: 'ISO 8601; without an offset it is read in `timezone`. Must be in the future, at most 365 days ahead.',
    example: '2026-04-10T09:00:00Z',
  }),
  timezone: { type: 'string', description: 'IANA time zone, default UTC', example: 'Europe/Paris' },
  media: nullable(ref('Media')),
  segments: nullable({ type: 'array', maxItems: MAX_SEGMENTS, items: ref('Segment'), description: 'Thread replies after the main post; [] removes the thread.' }),
  tags: { type: 'array', items: { type: 'string', maxLength: 50 }, maxItems: 20 },
  platform_overrides: { type: 'object', propertyNames: platform, additionalProperties: { type: 'string' }, description: 'Content per platform, replacing `content` there.' },
  platform_settings: {
    type: 'object',
    propertyNames: platform,
    additionalProperties: { type: 'object' },
    description: 'Per-platform options, e.g. `{"mastodon": {"visibility": "unlisted"}}`.',
  },
  accounts: nullable({ type: 'array', items: { type: 'string', example: 'acc_abc123' }, description: 'Connected accounts to publish through, at most one per platform.' }),
  group_id: nullable({
    type: 'string',
    minLength: 1,
    maxLength: MAX_GROUP_ID_LENGTH,
    description: 'Any id the client picks (a UUID in practice) tying posts together; `GET /v1/posts/group/{group_id}` lists them.',
    example: '3a6f1e9e-4c2b-4a1d-9e3a-112233445566',
  }),
  link_url: nullable({
    type: 'string',
    format: 'uri',
    description:
      "A link to share (http(s)). Bluesky shows it as a card (`app.bsky.embed.external`) with the page's Open Graph title, description and image; elsewhere, " +
      'and wherever the post has media, the URL is added to the text unless it is already there.',
  }),
  link_title: nullable({ type: 'string', maxLength: 300, description: "The card's title where the page gives none." }),
  link_description: nullable({ type: 'string', maxLength: 1000, description: "The card's description where the page gives none." }),
};

const GROUP_ID = { name: 'group_id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: MAX_GROUP_ID_LENGTH } };

export function openApiDocument(serverUrl = '/'): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Postloom API',
      version: '1.0.0',
      summary: 'Publish one post, or one thread, to many social platforms at once.',
      description:
        'Self-hosted, event-sourced posts API. JSON in and out; `Authorization: Bearer <api key>` on every call except `/health`, `/metrics`, `/docs` and `/docs/openapi.json` (and, from v1.1, the OAuth callback and signed media links). ' +
        'Every response carries `X-Request-Id` and `X-RateLimit-*`. Any POST accepts an `Idempotency-Key`: the same key with the same body within 24 h ' +
        'returns the first response and does nothing again; with another body, 409.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: serverUrl }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'Posts', description: 'Create, schedule, publish, retry and inspect posts and threads' },
      { name: 'Accounts', description: 'Connected platform accounts (credentials written, never read back)' },
      { name: 'Webhooks', description: 'Signed notifications of post events' },
      mediaTag,
      { name: 'Operations', description: 'Health, metrics and documentation' },
    ],
    paths: {
      '/v1/posts': {
        post: {
          tags: ['Posts'],
          operationId: 'createPost',
          summary: 'Create a post',
          description: 'Created as `draft`, or `scheduled` when `scheduled_for` is given. Character limits are reported as `warnings`, not errors.',
          parameters: [IDEMPOTENCY],
          requestBody: { required: true, content: json(ref('CreatePost')) },
          responses: { ...ok('The post', ref('Post'), '201'), ...errors(400, 409, 413, 422, ...COMMON) },
        },
        get: {
          tags: ['Posts'],
          operationId: 'listPosts',
          summary: 'List posts, newest first',
          parameters: [
            { name: 'status', in: 'query', schema: { type: 'string', enum: [...POST_STATUSES] } },
            { name: 'tag', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
          ],
          responses: {
            ...ok('A page of posts', {
              type: 'object',
              required: ['posts', 'total'],
              properties: { posts: { type: 'array', items: ref('Post') }, total: { type: 'integer' } },
            }),
            ...errors(422, ...COMMON),
          },
        },
      },
      '/v1/posts/create-and-publish': {
        post: {
          tags: ['Posts'],
          operationId: 'createAndPublishPost',
          summary: 'Create a post and publish it at once',
          description:
            'The create body (without `scheduled_for`), answered like a publish: 202 with the post in `publishing`. The creation and the publish request are one ' +
            'append, so a crash never leaves a draft behind. With `Idempotency-Key`, a retry never makes a second post. 422 for anything a create or a publish refuses.',
          parameters: [IDEMPOTENCY],
          requestBody: { required: true, content: json(ref('CreatePost')) },
          responses: { ...ok('Publishing', ref('Post'), '202'), ...errors(400, 409, 413, 422, ...COMMON) },
        },
      },
      '/v1/posts/validate': {
        post: {
          tags: ['Posts'],
          operationId: 'validatePost',
          summary: 'Dry run: check a create body against every platform, storing nothing',
          parameters: [IDEMPOTENCY],
          requestBody: { required: true, content: json(ref('CreatePost')) },
          responses: { ...ok('Per-platform problems', ref('ValidationReport')), ...errors(400, 413, 422, ...COMMON) },
        },
      },
      '/v1/posts/{id}': {
        parameters: [POST_ID],
        get: {
          tags: ['Posts'],
          operationId: 'getPost',
          summary: 'Get a post, or the post as it stood at a past instant',
          parameters: [
            { name: 'as_of', in: 'query', required: false, schema: { type: 'string', format: 'date-time' }, description: 'Rebuild the post from its events up to this instant.' },
          ],
          responses: { ...ok('The post', ref('Post')), ...errors(404, 422, ...COMMON) },
        },
        put: {
          tags: ['Posts'],
          operationId: 'updatePost',
          summary: 'Update a draft or scheduled post',
          description: 'Only the fields given change. `scheduled_for: null` unschedules; `segments: []` removes the thread. 409 unless `draft` or `scheduled`.',
          requestBody: { required: true, content: json(ref('UpdatePost')) },
          responses: { ...ok('The post', ref('Post')), ...errors(400, 404, 409, 413, 422, ...COMMON) },
        },
        patch: {
          tags: ['Posts'],
          operationId: 'patchPost',
          summary: 'Change some fields of a draft or scheduled post (JSON merge patch)',
          description:
            'Only the fields given change; `null` clears an optional field (`scheduled_for: null` unschedules). `platform_overrides` and `platform_settings` merge into the ' +
            "post's (RFC 7386): `{\"platform_overrides\": {\"twitter\": null}}` drops one override and keeps the others. 409 unless `draft` or `scheduled`.",
          requestBody: { required: true, content: { 'application/json': { schema: ref('UpdatePost') }, 'application/merge-patch+json': { schema: ref('UpdatePost') } } },
          responses: { ...ok('The post', ref('Post')), ...errors(400, 404, 409, 413, 422, ...COMMON) },
        },
        delete: {
          tags: ['Posts'],
          operationId: 'deletePost',
          summary: 'Delete a post (published copies stay on the platforms)',
          responses: { ...ok('Deleted', null, '204'), ...errors(404, 409, ...COMMON) },
        },
      },
      '/v1/posts/group/{group_id}': {
        parameters: [GROUP_ID],
        get: {
          tags: ['Posts'],
          operationId: 'listGroupPosts',
          summary: "A group's posts, oldest first",
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 100 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
          ],
          responses: {
            ...ok('The posts of the group', {
              type: 'object',
              required: ['posts', 'total'],
              properties: { posts: { type: 'array', items: ref('Post') }, total: { type: 'integer' } },
            }),
            ...errors(422, ...COMMON),
          },
        },
        delete: {
          tags: ['Posts'],
          operationId: 'deleteGroup',
          summary: 'Delete every post of a group',
          description: 'Each post is deleted as its own `PostDeleted` event. `Deleted-Count` says how many were deleted (0 for an unknown group).',
          responses: {
            '204': { description: 'Deleted', headers: { ...RATE_LIMIT_HEADERS, 'Deleted-Count': { description: 'How many posts were deleted', schema: { type: 'integer' } } } },
            ...errors(422, ...COMMON),
          },
        },
      },
      '/v1/posts/{id}/publish': {
        parameters: [POST_ID],
        post: {
          tags: ['Posts'],
          operationId: 'publishPost',
          summary: 'Publish now (asynchronous)',
          description: 'Answers 202 with the post in `publishing`; `platform_results` fill in as each platform finishes. 409 if already publishing or published; 422 when a platform has no connected account or the content exceeds a limit.',
          parameters: [IDEMPOTENCY],
          responses: { ...ok('Publishing', ref('Post'), '202'), ...errors(404, 409, 422, ...COMMON) },
        },
      },
      '/v1/posts/{id}/retry': {
        parameters: [POST_ID],
        post: {
          tags: ['Posts'],
          operationId: 'retryPost',
          summary: 'Publish again to the platforms that failed',
          parameters: [IDEMPOTENCY],
          responses: { ...ok('Publishing', ref('Post'), '202'), ...errors(404, 409, 422, ...COMMON) },
        },
      },
      '/v1/posts/{id}/duplicate': {
        parameters: [POST_ID],
        post: {
          tags: ['Posts'],
          operationId: 'duplicatePost',
          summary: 'A new draft with the same content',
          parameters: [IDEMPOTENCY],
          responses: { ...ok('The new draft', ref('Post'), '201'), ...errors(404, ...COMMON) },
        },
      },
      '/v1/posts/{id}/history': {
        parameters: [POST_ID],
        get: {
          tags: ['Posts'],
          operationId: 'postHistory',
          summary: "The post's events, oldest first",
          responses: {
            ...ok('Events', {
              type: 'object',
              required: ['events'],
              properties: { events: { type: 'array', items: ref('HistoryEvent') } },
            }),
            ...errors(404, ...COMMON),
          },
        },
      },
      '/v1/accounts': {
        get: {
          tags: ['Accounts'],
          operationId: 'listAccounts',
          summary: "The workspace's connected accounts, oldest first",
          responses: {
            ...ok('Accounts', { type: 'object', required: ['accounts'], properties: { accounts: { type: 'array', items: ref('Account') } } }),
            ...errors(...COMMON),
          },
        },
        post: {
          tags: ['Accounts'],
          operationId: 'connectAccount',
          summary: 'Connect a platform account',
          description: 'Credentials are stored encrypted (AES-256-GCM) and never returned.',
          parameters: [IDEMPOTENCY],
          requestBody: { required: true, content: json(ref('ConnectAccount')) },
          responses: { ...ok('The account, without credentials', ref('Account'), '201'), ...errors(400, 409, 413, 422, ...COMMON) },
        },
      },
      '/v1/accounts/{id}': {
        parameters: [ID('acc')],
        get: { tags: ['Accounts'], operationId: 'getAccount', summary: 'Get an account', responses: { ...ok('The account', ref('Account')), ...errors(404, ...COMMON) } },
        delete: { tags: ['Accounts'], operationId: 'deleteAccount', summary: 'Disconnect an account', responses: { ...ok('Deleted', null, '204'), ...errors(404, ...COMMON) } },
      },
      '/v1/accounts/connect': {
        post: {
          tags: ['Accounts'],
          operationId: 'startOAuthConnect',
          summary: 'Start connecting an account with OAuth',
          description: 'Answers the link to send the person to. The state is single-use, expires in 10 minutes and is bound to the workspace; PKCE S256 where the platform takes it. A platform whose client variables are not set is a 422 naming them.',
          requestBody: { required: true, content: json(ref('StartConnect')) },
          responses: {
            ...ok('Where to send the person', { type: 'object', required: ['authorize_url', 'state', 'expires_at'], properties: { authorize_url: { type: 'string', format: 'uri' }, state: { type: 'string' }, expires_at: { type: 'string', format: 'date-time' } } }, '201'),
            ...errors(422, ...COMMON),
          },
        },
      },
      '/v1/oauth/callback/{platform}': {
        get: {
          tags: ['Accounts'],
          operationId: 'oauthCallback',
          summary: 'Where the platform sends the person back (no API key: the state is the credential)',
          security: [],
          parameters: [
            { name: 'platform', in: 'path', required: true, schema: platform },
            { name: 'state', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'code', in: 'query', schema: { type: 'string' } },
            { name: 'error', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '302': { description: 'To redirect_url with account_id and status=connected, or status=denied / status=error&message=...' },
            '200': { description: 'Without redirect_url: a small page saying the account is connected' },
            ...errors(400),
          },
        },
      },
      '/v1/accounts/{id}/refresh': {
        parameters: [ID('acc')],
        post: {
          tags: ['Accounts'],
          operationId: 'refreshAccount',
          summary: 'Refresh the account now',
          description: 'A definite refusal sets status reconnect_required; a passing failure (network, 5xx, 429) is a 503 and changes nothing.',
          responses: { ...ok('The account', ref('Account')), '503': { description: 'The platform could not be reached; nothing changed' }, ...errors(404, ...COMMON) },
        },
      },
      '/v1/accounts/{id}/history': {
        parameters: [ID('acc')],
        get: {
          tags: ['Accounts'],
          operationId: 'accountHistory',
          summary: "The account's connects, refreshes, failures and status changes, oldest first",
          responses: {
            ...ok('History', {
              type: 'object',
              required: ['history'],
              properties: {
                history: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['type', 'status', 'reason', 'at'],
                    properties: {
                      type: { type: 'string', enum: ['connected', 'reconnected', 'refreshed', 'refresh_failed', 'status_changed'] },
                      status: nullable({ type: 'string', enum: ['active', 'expiring', 'reconnect_required'] }),
                      reason: nullable({ type: 'string' }),
                      at: { type: 'string', format: 'date-time' },
                    },
                  },
                },
              },
            }),
            ...errors(404, ...COMMON),
          },
        },
      },
      '/v1/webhooks': {
        get: {
          tags: ['Webhooks'],
          operationId: 'listWebhooks',
          summary: "The workspace's webhook subscriptions",
          responses: {
            ...ok('Webhooks', { type: 'object', required: ['webhooks'], properties: { webhooks: { type: 'array', items: ref('Webhook') } } }),
            ...errors(...COMMON),
          },
        },
        post: {
          tags: ['Webhooks'],
          operationId: 'createWebhook',
          summary: 'Subscribe a URL to post events',
          description:
            'Deliveries are POSTs of `{id, type, created_at, data}` signed with HMAC-SHA256 of the body using the secret, retried with backoff. The secret is in this response only.',
          parameters: [IDEMPOTENCY],
          requestBody: { required: true, content: json(ref('CreateWebhook')) },
          responses: {
            ...ok('The webhook and its signing secret', { allOf: [ref('Webhook'), { type: 'object', required: ['secret'], properties: { secret: { type: 'string', example: 'whsec_abc123' } } }] }, '201'),
            ...errors(400, 409, 413, 422, ...COMMON),
          },
        },
      },
      '/v1/webhooks/{id}': {
        parameters: [ID('wh')],
        get: { tags: ['Webhooks'], operationId: 'getWebhook', summary: 'Get a webhook', responses: { ...ok('The webhook', ref('Webhook')), ...errors(404, ...COMMON) } },
        delete: { tags: ['Webhooks'], operationId: 'deleteWebhook', summary: 'Remove a webhook and its delivery log', responses: { ...ok('Deleted', null, '204'), ...errors(404, ...COMMON) } },
      },
      '/v1/webhooks/{id}/deliveries': {
        parameters: [ID('wh')],
        get: {
          tags: ['Webhooks'],
          operationId: 'listWebhookDeliveries',
          summary: 'Delivery attempts, newest first',
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }],
          responses: {
            ...ok('Attempts', { type: 'object', required: ['deliveries'], properties: { deliveries: { type: 'array', items: ref('WebhookDelivery') } } }),
            ...errors(404, 422, ...COMMON),
          },
        },
      },
      ...mediaPaths,
      '/health': {
        get: {
          tags: ['Operations'],
          operationId: 'health',
          summary: 'Liveness and readiness per dependency, with projection lag',
          security: [],
          responses: {
            '200': { description: 'Ready', content: json(ref('Health')) },
            '503': { description: 'A dependency does not answer', content: json(ref('Health')) },
          },
        },
      },
      '/metrics': {
        get: {
          tags: ['Operations'],
          operationId: 'metrics',
          summary: 'Prometheus metrics',
          security: [],
          responses: { '200': { description: 'Text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer pl_live_...`' },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          schema: { type: 'string', minLength: 1, maxLength: 255 },
          description: 'Same key and same body within 24 h: the first response again (with `Idempotent-Replayed: true`), nothing done twice. Same key, other body: 409.',
        },
      },
      headers: {
        'X-RateLimit-Limit': { description: 'Requests allowed per minute for this key', schema: { type: 'integer' } },
        'X-RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer' } },
        'X-RateLimit-Reset': { description: 'When the window resets, unix seconds', schema: { type: 'integer' } },
        'X-Request-Id': { description: 'Identifies the request in logs; echoed when the client sends one', schema: { type: 'string' } },
        'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
      },
      responses: {
        MalformedRequest: { description: 'The body is not valid JSON (`validation_error` naming `body`)', headers: RATE_LIMIT_HEADERS, content: json(ref('Error')) },
        Unauthorized: { description: 'Missing or unknown API key (`unauthorized`)', headers: RATE_LIMIT_HEADERS, content: json(ref('Error')) },
        NotFound: { description: 'Unknown, deleted, or of another workspace (`not_found`)', headers: RATE_LIMIT_HEADERS, content: json(ref('Error')) },
        Conflict: { description: 'State does not allow it, a concurrent change won, or an Idempotency-Key was reused with another body (`conflict`)', headers: RATE_LIMIT_HEADERS, content: json(ref('Error')) },
        PayloadTooLarge: { description: 'Body over 1 MiB (`payload_too_large`)', headers: RATE_LIMIT_HEADERS, content: json(ref('Error')) },
        ValidationError: { description: 'Invalid fields, each named in `details` (`validation_error`)', headers: RATE_LIMIT_HEADERS, content: json(ref('Error')) },
        RateLimited: {
          description: 'Over the rate limit (`rate_limited`)',
          headers: { ...RATE_LIMIT_HEADERS, 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
          content: json(ref('Error')),
        },
      },
      schemas: {
        Platform: platform,
        ...mediaSchemas,
        Error: {
          type: 'object',
          required: ['error', 'request_id'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'details'],
              properties: {
                code: {
                  type: 'string',
                  enum: ['bad_request', 'unauthorized', 'not_found', 'conflict', 'validation_error', 'rate_limited', 'payload_too_large', 'unsupported_media_type', 'internal', 'unavailable'],
                },
                message: { type: 'string' },
                details: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['field', 'message'],
                    properties: {
                      field: { type: 'string', example: 'media.images[0].url' },
                      message: { type: 'string' },
                      platform: platform,
                      code: { type: 'string' },
                    },
                  },
                },
              },
            },
            request_id: { type: 'string' },
          },
          example: {
            error: { code: 'validation_error', message: 'the request has invalid fields', details: [{ field: 'platforms', message: 'platforms should not be empty' }] },
            request_id: 'req_0f1e2d3c4b5a69788796a5b4c3d2e1f0',
          },
        },
        Image: {
          type: 'object',
          description: 'By `url`, or by `media_id` (an item of the media library; `file` then shows its facts as the post named it)',
          properties: { url: { type: 'string', format: 'uri' }, media_id: { type: 'string', pattern: '^med_[A-Za-z0-9]+$' }, file: { type: 'object', readOnly: true }, alt_text: nullable({ type: 'string' }) },
        },
        Video: {
          type: 'object',
          description: 'By `url`, or by `media_id` (an item of the media library)',
          properties: { url: { type: 'string', format: 'uri' }, media_id: { type: 'string', pattern: '^med_[A-Za-z0-9]+$' }, file: { type: 'object', readOnly: true }, thumbnail_url: nullable({ type: 'string', format: 'uri' }) },
        },
        Media: {
          type: 'object',
          description: `At most ${MAX_IMAGES} images, or one video; never both.`,
          properties: { images: { type: 'array', maxItems: MAX_IMAGES, items: ref('Image') }, video: nullable(ref('Video')) },
        },
        Segment: {
          type: 'object',
          required: ['content'],
          properties: {
            content: { type: 'string', minLength: 1, maxLength: MAX_SEGMENT_LENGTH },
            media_urls: { type: 'array', maxItems: MAX_IMAGES, items: { type: 'string', format: 'uri' } },
            media_ids: { type: 'array', maxItems: MAX_IMAGES, items: { type: 'string', pattern: '^med_[A-Za-z0-9]+$' }, description: 'Items of the media library' },
          },
        },
        CreatePost: {
          type: 'object',
          required: ['content', 'platforms'],
          properties: postContentProperties,
          example: { content: 'Excited to announce our Series A!', platforms: ['twitter', 'linkedin', 'bluesky'] },
        },
        UpdatePost: { type: 'object', description: 'Every field optional; only the given ones change.', properties: postContentProperties },
        PlatformResult: {
          type: 'object',
          properties: {
            success: { type: 'boolean' },
            post_id: nullable({ type: 'string' }),
            post_url: nullable({ type: 'string' }),
            error: { type: 'string' },
            segments: { type: 'array', items: { type: 'object', properties: { post_id: { type: 'string' }, post_url: { type: 'string' } } } },
            attempts: { type: 'integer' },
            published_at: { type: 'string', format: 'date-time' },
            pending: { type: 'boolean', description: 'true while the platform is in flight; then only attempts, last_error, next_attempt_at (and outcome_unknown) are present' },
            last_error: nullable({ type: 'string', description: 'while pending: the last failed attempt\'s error' }),
            next_attempt_at: nullable({ type: 'string', format: 'date-time', description: 'while pending: when the next attempt is due' }),
            outcome_unknown: { type: 'boolean', description: 'while pending: the last attempt may have reached the platform; the next looks for the post before posting' },
          },
        },
        Post: {
          type: 'object',
          required: ['id', 'content', 'platforms', 'status', 'scheduled_for', 'media', 'segments', 'platform_results', 'failed_platforms', 'group_id', 'created_at', 'updated_at', 'published_at'],
          properties: {
            id: { type: 'string', example: 'post_abc123' },
            ...postContentProperties,
            status: { type: 'string', enum: [...POST_STATUSES], description: '`published`: at least one platform succeeded; `failed`: all failed.' },
            scheduled_for: nullable({ type: 'string', format: 'date-time' }),
            platform_results: nullable({ type: 'object', propertyNames: platform, additionalProperties: ref('PlatformResult') }),
            failed_platforms: { type: 'array', items: platform, description: 'Platforms whose last publish failed (what `/retry` republishes); `status` keeps its meaning.' },
            warnings: { type: 'array', items: ref('PlatformProblem'), description: 'What a platform would refuse at publish time (in the create answer, only when there is something).' },
            created_at: { type: 'string', format: 'date-time' },
            updated_at: { type: 'string', format: 'date-time' },
            published_at: nullable({ type: 'string', format: 'date-time' }),
          },
        },
        PlatformProblem: {
          type: 'object',
          required: ['platform', 'field', 'message'],
          properties: { platform, field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
        },
        ValidationReport: {
          type: 'object',
          required: ['valid', 'problems'],
          properties: {
            valid: { type: 'boolean', description: 'True when no platform would refuse the post.' },
            problems: { type: 'array', items: ref('PlatformProblem') },
          },
        },
        HistoryEvent: {
          type: 'object',
          required: ['type', 'version', 'revision', 'at', 'actor', 'data'],
          properties: {
            type: { type: 'string', example: 'PostCreated' },
            version: { type: 'integer', description: 'Schema version of the event' },
            revision: { type: 'integer', description: "0-based position in the post's stream" },
            at: { type: 'string', format: 'date-time' },
            actor: { type: 'string', description: 'API key id, `scheduler`, `publisher:<platform>` or `system`' },
            data: { type: 'object' },
          },
        },
        ConnectAccount: {
          type: 'object',
          required: ['platform', 'name', 'credentials'],
          properties: {
            platform,
            name: { type: 'string', minLength: 1, maxLength: 100 },
            credentials: {
              type: 'object',
              additionalProperties: { type: 'string' },
              description:
                'bluesky {identifier, app_password}; mastodon {access_token}; twitter {access_token}; linkedin {access_token, author_urn}; threads {access_token, user_id}; ' +
                'instagram {access_token, ig_user_id}; facebook {page_access_token, page_id}; tiktok {access_token}; youtube {access_token}; discord {webhook_url}; ' +
                'slack {bot_token, channel}; telegram {bot_token, chat_id}',
            },
            base_url: nullable({ type: 'string', format: 'uri', description: 'Another host of the same API (self-hosted Mastodon, a PDS, a local test server).' }),
          },
          example: { platform: 'bluesky', name: 'main', credentials: { identifier: 'me.bsky.social', app_password: 'xxxx-xxxx-xxxx-xxxx' } },
        },
        Account: {
          type: 'object',
          required: ['id', 'platform', 'name', 'base_url', 'created_at'],
          properties: {
            id: { type: 'string', example: 'acc_abc123' },
            platform,
            name: { type: 'string' },
            base_url: nullable({ type: 'string' }),
            created_at: { type: 'string', format: 'date-time' },
            status: { type: 'string', enum: ['active', 'expiring', 'reconnect_required'] },
            status_reason: nullable({ type: 'string' }),
            expires_at: nullable({ type: 'string', format: 'date-time' }),
            platform_user: nullable({ type: 'object', required: ['id', 'username'], properties: { id: { type: 'string' }, username: { type: 'string' } } }),
            connected_via: { type: 'string', enum: ['oauth', 'credentials'] },
          },
        },
        StartConnect: {
          type: 'object',
          required: ['platform'],
          properties: {
            platform: { type: 'string', enum: ['twitter', 'youtube', 'linkedin', 'tiktok'] },
            name: { type: 'string', maxLength: 100 },
            base_url: { type: 'string', format: 'uri' },
            redirect_url: { type: 'string', format: 'uri' },
          },
        },
        CreateWebhook: {
          type: 'object',
          required: ['url', 'events'],
          properties: {
            url: { type: 'string', format: 'uri' },
            events: { type: 'array', minItems: 1, items: { type: 'string', enum: [...WEBHOOK_EVENTS] } },
            description: nullable({ type: 'string', maxLength: 500 }),
          },
        },
        Webhook: {
          type: 'object',
          required: ['id', 'url', 'events', 'description', 'created_at'],
          properties: {
            id: { type: 'string', example: 'wh_abc123' },
            url: { type: 'string' },
            events: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENTS] } },
            description: nullable({ type: 'string' }),
            created_at: { type: 'string', format: 'date-time' },
          },
        },
        WebhookDelivery: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            webhook_id: { type: 'string' },
            event: { type: 'string', enum: [...WEBHOOK_EVENTS] },
            event_id: nullable({ type: 'string' }),
            status_code: nullable({ type: 'integer' }),
            attempt: { type: 'integer' },
            succeeded: { type: 'boolean' },
            error: nullable({ type: 'string' }),
            delivered_at: { type: 'string', format: 'date-time' },
          },
        },
        Health: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['ok', 'unavailable'] },
            live: { type: 'boolean' },
            ready: { type: 'boolean' },
            mode: { type: 'string', enum: ['embedded', 'distributed'] },
            uptime_seconds: { type: 'integer' },
            checks: { type: 'object', additionalProperties: { type: 'object' } },
          },
        },
      },
    },
  };
}
