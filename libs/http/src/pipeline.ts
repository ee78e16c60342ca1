import { createHash, randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Histogram } from 'prom-client';
import { MAX_IMAGES, MAX_SEGMENTS, PLATFORMS } from '../../domain';
import type { Logger, Runtime } from '../../runtime';
import { type ErrorDetail, sendError } from './errors';
import { type PlatformRequest, requestLogFields } from './request-state';

/**
 * Paths answered without an API key: the OAuth callback (its single-use state is the
 * credential) and signed media links (they carry their own authority).
 */
const PUBLIC_PATH = /^\/(?:health|metrics|docs|v1\/oauth\/callback|v1\/public\/media)(?:\/|$)/;
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const BEARER = /^Bearer[ \t]+([^\s]{1,512})[ \t]*$/i;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Bodies nested deeper than any real request are refused before anything recurses into them. */
const MAX_BODY_DEPTH = 32;
/**
 * Arrays the API takes, by field name, with their largest valid length; any other array
 * (inside `platform_settings`, say) may hold `MAX_OTHER_ARRAY` items. They are checked
 * here, on the parsed body and before any item is validated, so a body of 150,000 empty
 * objects costs one pass instead of 150,000 validations. The DTOs state the same bounds.
 */
export const ARRAY_BOUNDS: Readonly<Record<string, number>> = {
  platforms: PLATFORMS.length,
  accounts: PLATFORMS.length,
  segments: MAX_SEGMENTS,
  images: MAX_IMAGES,
  media_urls: MAX_IMAGES,
  media_ids: MAX_IMAGES,
  tags: 20,
  events: 32,
};
export const MAX_OTHER_ARRAY = 100;
/** Values (objects, arrays, scalars) in one body: far above any real post, far below what validation would choke on. */
export const MAX_BODY_VALUES = 20_000;
/** A request slower than this is logged (warn) even when it succeeded. */
const SLOW_REQUEST_MS = 1000;
/** Headers of a first response that a replay must not repeat: they describe the new exchange. */
const NOT_REPLAYED = new Set([
  'x-request-id',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'retry-after',
  'content-length',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'etag',
]);

/** `req_` and 32 hex digits: a v4 UUID without its dashes. */
function newRequestId(): string {
  const u = randomUUID();
  return `req_${u.slice(0, 8)}${u.slice(9, 13)}${u.slice(14, 18)}${u.slice(19, 23)}${u.slice(24)}`;
}

/** `X-Request-Id`: the client's when it is sane, else a new one; on every response. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const sent = req.headers['x-request-id'];
    const id = typeof sent === 'string' && CLIENT_REQUEST_ID.test(sent) ? sent : newRequestId();
    (req as PlatformRequest).requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}

/**
 * Times every request into the duration histogram (labelled by route pattern, never by
 * raw path), and logs failures and slow requests; a fast success is not logged above
 * debug, to keep the hot path cheap.
 */
export function observeRequests(histogram: Histogram<'method' | 'route' | 'status'>, logger: Logger): RequestHandler {
  const children = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>();
  const debug = logger.isLevelEnabled('debug');
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    (req as PlatformRequest).startedAt = started;
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route ? `${req.baseUrl}${String((req.route as { path: unknown }).path)}` : '(unrouted)';
      const status = res.statusCode;
      const key = `${req.method} ${route} ${status}`;
      let child = children.get(key);
      if (!child) {
        child = histogram.labels(req.method, route, String(status));
        children.set(key, child);
      }
      child.observe(seconds);
      const ms = seconds * 1000;
      if (status >= 500) {
        logger.error({ ...requestLogFields(req), route, status, duration_ms: Math.round(ms) }, 'request failed');
      } else if (ms >= SLOW_REQUEST_MS) {
        logger.warn({ ...requestLogFields(req), route, status, duration_ms: Math.round(ms) }, 'slow request');
      } else if (debug) {
        logger.debug({ ...requestLogFields(req), route, status, duration_ms: Math.round(ms * 10) / 10 }, 'request');
      }
    });
    next();
  };
}

function setRateLimitHeaders(res: Response, decision: { limit: number; remaining: number; resetEpochSeconds: number }): void {
  res.setHeader('X-RateLimit-Limit', decision.limit);
  res.setHeader('X-RateLimit-Remaining', decision.remaining);
  res.setHeader('X-RateLimit-Reset', decision.resetEpochSeconds);
}

/**
 * Authentication and rate limits. A valid `Authorization: Bearer <key>` sets
 * `req.context` and counts against that key's limit; anything else counts against the
 * client address's anonymous limit, and is a 401 unless the path is public. Every
 * response carries the `X-RateLimit-*` headers of the bucket it counted against.
 */
export function authenticate(runtime: Runtime): RequestHandler {
  const { workspaces, rateLimiter, config, logger } = runtime;
  const anonymousLimit = config.rateLimitAnonymousPerMinute;

  const anonymous = (req: Request, res: Response, next: NextFunction, isPublic: boolean): void => {
    const decision = rateLimiter.consume(`ip:${req.socket.remoteAddress ?? 'unknown'}`, anonymousLimit, Date.now());
    setRateLimitHeaders(res, decision);
    const id = (req as PlatformRequest).requestId ?? '';
    if (!decision.allowed) {
      res.setHeader('Retry-After', decision.retryAfterSeconds);
      sendError(res, 429, 'rate_limited', `too many requests; retry after ${decision.retryAfterSeconds} s`, [], id);
    } else if (isPublic) {
      next();
    } else {
      res.setHeader('WWW-Authenticate', 'Bearer');
      const sent = req.headers.authorization;
      const message = sent === undefined ? 'missing API key: send Authorization: Bearer <key>' : 'invalid API key';
      sendError(res, 401, 'unauthorized', message, [], id);
    }
  };

  return (req, res, next) => {
    const isPublic = PUBLIC_PATH.test(req.path);
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) {
      anonymous(req, res, next, isPublic);
      return;
    }
    workspaces.authenticate(match[1]).then(
      (principal) => {
        if (!principal) {
          anonymous(req, res, next, isPublic);
          return;
        }
        const platform = req as PlatformRequest;
        const decision = rateLimiter.consume(principal.key_id, principal.rate_limit_per_minute, Date.now());
        setRateLimitHeaders(res, decision);
        if (!decision.allowed) {
          res.setHeader('Retry-After', decision.retryAfterSeconds);
          sendError(res, 429, 'rate_limited', `rate limit of ${decision.limit} requests per minute exceeded; retry after ${decision.retryAfterSeconds} s`, [], platform.requestId ?? '');
          return;
        }
        platform.context = { request_id: platform.requestId ?? '', key_id: principal.key_id, workspace_id: principal.workspace_id };
        next();
      },
      (error: unknown) => {
        logger.error({ ...requestLogFields(req), err: error }, 'authentication failed: registry unavailable');
        res.setHeader('Retry-After', 1);
        sendError(res, 503, 'unavailable', 'the key registry is unavailable; retry shortly', [], (req as PlatformRequest).requestId ?? '');
      },
    );
  };
}

/** JSON bodies up to 1 MiB; anything else is left unparsed (and fails validation as missing fields). */
export function jsonBody(): RequestHandler {
  return express.json({
    limit: BODY_LIMIT_BYTES,
    strict: true,
    type: ['application/json', 'application/*+json'],
    // The raw bytes are scanned before JSON.parse: parsing 1 MiB of nested brackets or
    // 250,000 empty objects alone takes hundreds of milliseconds of the event loop.
    verify: (_req, _res, buffer) => {
      const problem = scanJsonShape(buffer, MAX_BODY_DEPTH);
      if (problem) throw Object.assign(new Error(problem.message), { shape: problem });
    },
  });
}

interface ScanFrame {
  array: boolean;
  /** The property the container is the value of (arrays are bounded by it); '' inside arrays. */
  name: string;
  /** Arrays: items seen so far. */
  items: number;
  /** Objects: the last key read. */
  key: string;
}

function scanPath(stack: readonly ScanFrame[]): string {
  let path = '';
  for (let i = 1; i < stack.length; i++) {
    const parent = stack[i - 1];
    path = parent.array ? `${path}[${parent.items - 1}]` : childPath(path, parent.key);
  }
  return path;
}

/**
 * The shape checks of `sanitizeBody` (depth, array bounds by field name, number of values)
 * on the raw bytes, in one pass without building anything, so an oversized body is refused
 * in a few milliseconds. Malformed JSON is left to JSON.parse to report.
 */
export function scanJsonShape(buffer: Buffer, maxDepth: number): ErrorDetail | null {
  const stack: ScanFrame[] = [];
  let values = 0;
  let inString = false;
  let stringStart = 0;
  /** After `[` or `,` inside an array, the next value starts an item. */
  let expectItem = false;
  for (let i = 0; i < buffer.length; i++) {
    const byte = buffer[i];
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped byte
      else if (byte === 0x22) {
        inString = false;
        const top = stack[stack.length - 1];
        // A string followed by `:` is a key.
        let j = i + 1;
        while (j < buffer.length && (buffer[j] === 0x20 || buffer[j] === 0x0a || buffer[j] === 0x0d || buffer[j] === 0x09)) j++;
        if (top && !top.array && buffer[j] === 0x3a) {
          top.key = buffer.toString('utf8', stringStart + 1, i);
          if (++values > MAX_BODY_VALUES) return { field: 'body', message: `must hold at most ${MAX_BODY_VALUES} values` };
        }
      }
      continue;
    }
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    const top = stack[stack.length - 1];
    if (expectItem && byte !== 0x5d && top?.array) {
      expectItem = false;
      top.items++;
      const bound = ARRAY_BOUNDS[top.name] ?? MAX_OTHER_ARRAY;
      if (top.items > bound) return { field: scanPath(stack) || 'body', message: `must have at most ${bound} items` };
      if (++values > MAX_BODY_VALUES) return { field: 'body', message: `must hold at most ${MAX_BODY_VALUES} values` };
    }
    switch (byte) {
      case 0x22:
        inString = true;
        stringStart = i;
        break;
      case 0x7b: // {
      case 0x5b: {
        // [
        const name = top && !top.array ? top.key : '';
        stack.push({ array: byte === 0x5b, name, items: 0, key: '' });
        if (stack.length > maxDepth) return { field: scanPath(stack.slice(0, -1)) || 'body', message: `must not be nested deeper than ${maxDepth} levels` };
        expectItem = byte === 0x5b;
        break;
      }
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop();
        expectItem = false;
        break;
      case 0x2c: // ,
        if (top?.array) expectItem = true;
        break;
      default:
        break;
    }
  }
  return null;
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  message?: string;
}

/** Maps body-parser failures to the error shape (they happen before Nest sees the request). */
export function bodyErrors(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    const id = (req as PlatformRequest).requestId ?? '';
    const failure = (error ?? {}) as BodyParserError;
    const shape = (error as { shape?: ErrorDetail } | null)?.shape;
    if (failure.type === 'entity.verify.failed' && shape) {
      sendError(res, 422, 'validation_error', 'the request body has the wrong shape', [shape], id);
      return;
    }
    switch (failure.type) {
      case 'entity.too.large':
        sendError(res, 413, 'payload_too_large', 'the request body is larger than 1 MiB', [{ field: 'body', message: 'must be at most 1 MiB' }], id);
        return;
      case 'entity.parse.failed':
        sendError(res, 400, 'validation_error', 'the request body is not valid JSON', [{ field: 'body', message: `malformed JSON: ${failure.message ?? 'parse error'}` }], id);
        return;
      case 'charset.unsupported':
      case 'encoding.unsupported':
        sendError(res, 415, 'unsupported_media_type', failure.message ?? 'unsupported encoding', [{ field: 'Content-Type', message: 'send JSON as UTF-8' }], id);
        return;
      case 'request.aborted':
      case 'request.size.invalid':
        sendError(res, 400, 'bad_request', failure.message ?? 'the request body could not be read', [{ field: 'body', message: 'incomplete body' }], id);
        return;
    }
    const status = failure.status ?? failure.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendError(res, status, status === 413 ? 'payload_too_large' : 'bad_request', failure.message ?? 'bad request', [{ field: 'body', message: failure.message ?? 'unreadable' }], id);
      return;
    }
    logger.error({ ...requestLogFields(req), err: error }, 'reading the request body failed');
    next(error);
  };
}

/**
 * Keys that turn plain JSON into something else on its way to a DTO: class-transformer
 * takes an object's own `constructor` for its class, and `__proto__` names the prototype.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor']);

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Checks a parsed body without recursion (a hostile body cannot overflow the stack
 * here): a problem naming the field when it nests deeper than `max`, holds a reserved key
 * below the top level, has an array longer than its bound (`ARRAY_BOUNDS`), or holds more
 * than `MAX_BODY_VALUES` values. Reserved keys at the top level are unknown fields: dropped.
 */
export function sanitizeBody(body: unknown, max: number): ErrorDetail | null {
  if (typeof body !== 'object' || body === null) return null;
  if (!Array.isArray(body)) for (const key of RESERVED_KEYS) if (Object.hasOwn(body, key)) delete (body as Record<string, unknown>)[key];
  const stack: { value: object; path: string; depth: number; name: string }[] = [{ value: body, path: '', depth: 1, name: '' }];
  let values = 0;
  while (stack.length > 0) {
    const { value, path, depth, name } = stack.pop() as { value: object; path: string; depth: number; name: string };
    if (depth > max) return { field: path || 'body', message: `must not be nested deeper than ${max} levels` };
    if (Array.isArray(value)) {
      const bound = ARRAY_BOUNDS[name] ?? MAX_OTHER_ARRAY;
      if (value.length > bound) return { field: path || 'body', message: `must have at most ${bound} items, not ${value.length}` };
      values += value.length;
      if (values > MAX_BODY_VALUES) return { field: 'body', message: `must hold at most ${MAX_BODY_VALUES} values` };
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'object' && item !== null) stack.push({ value: item, path: childPath(path, i), depth: depth + 1, name: '' });
      }
      continue;
    }
    const keys = Object.keys(value);
    values += keys.length;
    if (values > MAX_BODY_VALUES) return { field: 'body', message: `must hold at most ${MAX_BODY_VALUES} values` };
    for (const key of keys) {
      if (RESERVED_KEYS.has(key)) return { field: childPath(path, key), message: `"${key}" is a reserved name` };
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) stack.push({ value: item, path: childPath(path, key), depth: depth + 1, name: key });
    }
  }
  return null;
}

/** A parsed body must be an object, of bounded depth, without reserved keys. */
export function bodyShape(): RequestHandler {
  return (req, res, next) => {
    const body: unknown = req.body;
    if (body === undefined || body === null || typeof body !== 'object') {
      next();
      return;
    }
    const problem: ErrorDetail | null = Array.isArray(body)
      ? { field: 'body', message: 'must be a JSON object, not an array' }
      : sanitizeBody(body, MAX_BODY_DEPTH);
    if (problem) {
      sendError(res, 422, 'validation_error', 'the request body has the wrong shape', [problem], (req as PlatformRequest).requestId ?? '');
      return;
    }
    next();
  };
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` fingerprint alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method}\n${path}\n${body === undefined ? '' : canonicalJson(body)}`).digest('hex');
}

/**
 * `Idempotency-Key` on a POST: the first request with a key runs and its response
 * (status, body, headers) is kept 24 h; the same key with the same method, path and
 * body gets that response again without running anything; with another body, 409. A
 * request that ends in a 5xx gives its key up, so the client may retry with it. The
 * record is written before the response leaves, so a client that retries as soon as it
 * has an answer finds it.
 */
export function idempotency(runtime: Pick<Runtime, 'idempotencyKeys' | 'logger' | 'clock'>): RequestHandler {
  const { idempotencyKeys, logger } = runtime;
  return (req, res, next) => {
    if (req.method !== 'POST') {
      next();
      return;
    }
    const header = req.headers['idempotency-key'];
    const platform = req as PlatformRequest;
    const context = platform.context;
    if (header === undefined || !context) {
      next();
      return;
    }
    const id = platform.requestId ?? '';
    if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
      sendError(res, 422, 'validation_error', 'invalid Idempotency-Key header', [{ field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }], id);
      return;
    }
    const key = header;
    const workspaceId = context.workspace_id;
    const fingerprint = requestFingerprint(req.method, req.originalUrl, req.body);
    idempotencyKeys.begin(workspaceId, key, fingerprint, runtime.clock()).then(
      (begun) => {
        switch (begun.state) {
          case 'replay':
            res.status(begun.status);
            for (const [name, value] of Object.entries(begun.headers)) res.setHeader(name, value);
            res.setHeader('Idempotent-Replayed', 'true');
            if (begun.body === null || begun.body === undefined) res.end();
            else res.send(typeof begun.body === 'string' ? begun.body : JSON.stringify(begun.body));
            return;
          case 'mismatch':
            sendError(res, 409, 'conflict', 'this Idempotency-Key was used with another request; use a new key for a new request', [], id);
            return;
          case 'in_progress':
            res.setHeader('Retry-After', 1);
            sendError(res, 409, 'conflict', 'a request with this Idempotency-Key is still being processed; retry shortly', [], id);
            return;
          case 'new':
            recordResponse(req, res, workspaceId, key, runtime, logger);
            next();
            return;
        }
      },
      (error: unknown) => next(error),
    );
  };
}

function recordResponse(req: Request, res: Response, workspaceId: string, key: string, runtime: Pick<Runtime, 'idempotencyKeys'>, logger: Logger): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  let settled = false;
  // Express writes every response of this API with one `end(body)` call.
  res.end = function endAfterRecording(this: Response, ...args: unknown[]): Response {
    if (settled) return end(...args);
    settled = true;
    const status = res.statusCode;
    let stored: Promise<void>;
    if (status >= 500) {
      stored = runtime.idempotencyKeys.abandon(workspaceId, key);
    } else {
      const chunk = typeof args[0] === 'function' ? undefined : args[0];
      const text = chunk === undefined || chunk === null ? '' : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
      let body: unknown = null;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.getHeaders())) {
        if (value === undefined || NOT_REPLAYED.has(name)) continue;
        headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
      }
      stored = runtime.idempotencyKeys.complete(workspaceId, key, { status, body, headers });
    }
    stored
      .catch((error: unknown) => logger.error({ ...requestLogFields(req), err: error }, 'recording the Idempotency-Key response failed'))
      .finally(() => end(...args));
    return res;
  } as Response['end'];
  // A client that hangs up early does not abandon the key: the command still runs to its
  // end, and its recorded answer is what a retry with the key should get.
}

/**
 * Query parameters are single plain values: a repeated one (`status=a&status=b`) or one in
 * bracket form (`limit[]=1`, `filter[x]=1`) would otherwise be ignored or read as something
 * else without a word, so it is a 422 naming the parameter.
 */
export function queryProblem(url: string): ErrorDetail | null {
  const at = url.indexOf('?');
  if (at < 0) return null;
  const seen = new Set<string>();
  for (const [name] of new URLSearchParams(url.slice(at + 1))) {
    // `?&&` and `?=x` name nothing: no route reads them.
    if (name === '') continue;
    if (name.includes('[') || name.includes(']')) return { field: name, message: 'query parameters take one plain value; bracket forms are not accepted' };
    if (seen.has(name)) return { field: name, message: 'must be given once' };
    seen.add(name);
  }
  return null;
}

export function isPublicPath(path: string): boolean {
  return PUBLIC_PATH.test(path);
}

/**
 * Routes that take long resumable uploads (tus): their bodies may take as long as they
 * need, but each pause between chunks is bounded instead (`UPLOAD_IDLE_TIMEOUT_MS`).
 */
export const UPLOAD_PATH_PREFIXES: readonly string[] = ['/v1/media/uploads'];

/** A file streamed to the media library (tus, or a multipart `POST /v1/media` of up to a video's cap). */
function isUpload(req: Request): boolean {
  if (UPLOAD_PATH_PREFIXES.some((prefix) => req.path.startsWith(prefix))) return true;
  return req.method === 'POST' && /^\/v1\/media\/?$/.test(req.path) && /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
}

/**
 * Closes the connection of a client that has not sent its whole body within the deadline
 * (a slow or stalled client must not hold a socket and a request for minutes). Node's own
 * `requestTimeout` cannot tell routes apart, so this does it per request.
 */
export function bodyDeadline(timeouts: { requestMs: number; uploadIdleMs: number }): RequestHandler {
  return (req, _res, next) => {
    const expectsBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    if (!expectsBody || req.complete) return next();
    if (isUpload(req)) {
      req.socket.setTimeout(timeouts.uploadIdleMs, () => req.socket.destroy());
      return next();
    }
    const timer = setTimeout(() => {
      if (!req.complete) req.socket.destroy();
    }, timeouts.requestMs);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
    next();
  };
}

export interface PipelineParts {
  histogram: Histogram<'method' | 'route' | 'status'>;
  /** Static files served under `assetsPath` (the docs viewer's), public. */
  assetsPath: string;
  assets: RequestHandler;
}

/**
 * Every step above as ONE Express layer: request id, timing, authentication and rate
 * limit, static assets, JSON body, body shape, Idempotency-Key. Express 5 pays a
 * noticeable price per layer on every request; the steps run here in the same order
 * they would as separate layers.
 */
export function platformPipeline(runtime: Runtime, parts: PipelineParts): RequestHandler {
  const assignId = requestId();
  const observe = observeRequests(parts.histogram, runtime.logger);
  const authenticated = authenticate(runtime);
  const parse = jsonBody();
  const parseFailed = bodyErrors(runtime.logger);
  const shape = bodyShape();
  const idempotent = idempotency(runtime);
  const deadline = bodyDeadline({ requestMs: runtime.config.httpRequestTimeoutMs, uploadIdleMs: runtime.config.uploadIdleTimeoutMs });
  const assetsPrefix = `${parts.assetsPath}/`;
  const noop = (): void => undefined;

  return (req, res, next) => {
    assignId(req, res, noop);
    observe(req, res, noop);
    deadline(req, res, noop);
    authenticated(req, res, (authError?: unknown) => {
      if (authError) return next(authError);
      if (req.path.startsWith(assetsPrefix)) return parts.assets(req, res, next);
      const badQuery = queryProblem(req.url);
      if (badQuery) return sendError(res, 422, 'validation_error', `invalid query parameter ${badQuery.field}`, [badQuery], (req as PlatformRequest).requestId ?? '');
      parse(req, res, (parseError?: unknown) => {
        if (parseError) return parseFailed(parseError, req, res, next);
        shape(req, res, () => idempotent(req, res, next));
      });
    });
  };
}
