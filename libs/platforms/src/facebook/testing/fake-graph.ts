import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { sniffMime } from '../../media/sniff';
import { LocalPlatformServer, ScriptedFailures } from '../../testing/fake-server';
import { MetaError } from '../errors';

/**
 * The common part of the local stand-ins for Meta's Graph API family (Facebook Pages,
 * Instagram, Threads): a node:http server on 127.0.0.1 that checks the API version in
 * the path and the token (`Authorization: Bearer|OAuth` or `access_token`), reads
 * parameters from the query string and a form, JSON or multipart body as Graph does,
 * answers errors in Meta's `{"error": {...}}` shape, records every request, and can be
 * told to fail the next requests.
 */

export type FakeFailure =
  | {
      status: number;
      /** Default: a Meta error body for the status. */
      body?: unknown;
      headers?: Record<string, string>;
    }
  /** The connection is cut without an answer, before the request is handled or after (it took effect). */
  | { drop: 'before' | 'after' };

export interface GraphRequestRecord {
  method: string;
  /** Path without the version prefix: `/123/feed`. */
  path: string;
  params: Record<string, string>;
  headers: http.IncomingHttpHeaders;
}

export class GraphRefusal extends Error {
  constructor(
    readonly status: number,
    readonly error: MetaError,
    readonly headers: Record<string, string> = {},
  ) {
    super(error.message);
  }
}

/** Meta's answer to a token it does not know. */
export const INVALID_TOKEN: MetaError = { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 };
/** Meta's answer to a token the user revoked (password change, app removed). */
export const REVOKED_TOKEN: MetaError = {
  message: 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
  type: 'OAuthException',
  code: 190,
  error_subcode: 460,
};

export function missingParameter(name: string): GraphRefusal {
  return new GraphRefusal(400, { message: `(#100) The parameter ${name} is required`, type: 'OAuthException', code: 100 });
}

export function unknownObject(id: string): GraphRefusal {
  return new GraphRefusal(400, {
    message: `Unsupported post request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    type: 'GraphMethodException',
    code: 100,
    error_subcode: 33,
  });
}

function defaultFailureBody(status: number): { error: MetaError } {
  if (status >= 500) return { error: { message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', code: 2, is_transient: true } };
  if (status === 429) return { error: { message: '(#4) Application request limit reached', type: 'OAuthException', code: 4, is_transient: true } };
  return { error: { message: http.STATUS_CODES[status] ?? 'Error', type: 'OAuthException', code: 1 } };
}

/** Now as Graph writes times: `2026-03-01T12:00:00+0000`. */
export function graphNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, '+0000');
}

export interface FetchedMedia {
  mime: string;
  size: number;
  /** Of the bytes fetched, so tests can tell which file the platform got. */
  sha256: string;
}

export abstract class FakeGraphServer extends LocalPlatformServer {
  readonly requests: GraphRequestRecord[] = [];
  private readonly failures = new ScriptedFailures<FakeFailure>();
  private nextId: number;
  private readonly revoked = new Set<string>();

  protected constructor(
    readonly version: string,
    readonly accessToken: string,
    firstId: number,
  ) {
    super('application/json; charset=UTF-8');
    this.nextId = firstId;
  }

  /** Every later request with this token is refused as a revoked session (code 190, subcode 460). */
  revoke(token: string = this.accessToken): void {
    this.revoked.add(token);
  }

  /** The next `times` requests to `route` (`"POST /123/feed"`, or `"*"` for any) get this answer instead. */
  failNext(route: string, failure: FakeFailure, times = 1): void {
    this.failures.add(route, failure, times);
  }

  requestsTo(method: string, path: string | RegExp): GraphRequestRecord[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  protected newId(): string {
    return String(this.nextId++);
  }

  /** Meta fetches media itself; so does the fake, refusing what is not an image or video it can read. */
  protected async fetchMedia(url: string): Promise<FetchedMedia | undefined> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) return undefined;
      const bytes = Buffer.from(await response.arrayBuffer());
      const mime = sniffMime(bytes);
      return mime ? { mime, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Answers one request (path without the version); returns the JSON body of a 200 or throws a `GraphRefusal`. */
  protected abstract route(method: string, path: string, params: Record<string, string>, req: http.IncomingMessage): Promise<unknown>;

  /** Paths served without the version prefix or a Bearer token (the resumable upload host). */
  protected unversioned(_path: string): boolean {
    return false;
  }

  private async params(req: http.IncomingMessage, body: Buffer, url: URL): Promise<Record<string, string>> {
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    const type = req.headers['content-type'] ?? '';
    if (body.length === 0) return params;
    if (type.includes('application/x-www-form-urlencoded')) Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
    else if (type.includes('application/json')) {
      for (const [key, value] of Object.entries(JSON.parse(body.toString('utf8')) as Record<string, unknown>)) params[key] = typeof value === 'string' ? value : JSON.stringify(value);
    } else if (type.includes('multipart/form-data')) {
      const form = await this.formOf(body, type);
      for (const [key, value] of form) if (typeof value === 'string') params[key] = value;
    }
    return params;
  }

  private token(req: http.IncomingMessage, params: Record<string, string>): string | undefined {
    const header = req.headers.authorization ?? '';
    const match = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(header);
    return match ? match[1] : params.access_token;
  }

  private async answer(req: http.IncomingMessage, method: string, path: string, params: Record<string, string>, url: URL): Promise<unknown> {
    if (!url.pathname.startsWith(`/${this.version}/`) && !this.unversioned(url.pathname)) {
      throw new GraphRefusal(400, { message: `Unknown path components: ${url.pathname}`, type: 'OAuthException', code: 2500 });
    }
    const token = this.token(req, params);
    if (!token) throw new GraphRefusal(400, { message: 'An active access token must be used to query information about the current user.', type: 'OAuthException', code: 2500 });
    if (this.revoked.has(token)) throw new GraphRefusal(400, REVOKED_TOKEN);
    if (token !== this.accessToken) throw new GraphRefusal(400, INVALID_TOKEN);
    return this.route(method, path, params, req);
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => this.writeJson(res, status, payload, headers);
    const fbtrace = () => `Fake${this.requests.length}`;
    try {
      const body = await this.readBody(req);
      const url = new URL(req.url ?? '/', this.url);
      const params = await this.params(req, body, url);
      const method = req.method ?? 'GET';
      const prefix = `/${this.version}/`;
      const versioned = url.pathname.startsWith(prefix);
      const path = versioned ? url.pathname.slice(prefix.length - 1) : url.pathname;
      this.requests.push({ method, path, params, headers: req.headers });

      const route = `${method} ${path}`;
      const failure = this.failures.take(route);
      if (failure) {
        if (!('drop' in failure)) return send(failure.status, failure.body ?? defaultFailureBody(failure.status), failure.headers);
        if (failure.drop === 'after') await this.answer(req, method, path, params, url).catch(() => undefined);
        return this.hangUp(req);
      }
      send(200, await this.answer(req, method, path, params, url));
    } catch (err) {
      if (err instanceof GraphRefusal) return send(err.status, { error: { ...err.error, fbtrace_id: fbtrace() } }, err.headers);
      send(500, { error: { message: `An unexpected error has occurred: ${(err as Error).message}`, type: 'OAuthException', code: 2, is_transient: true, fbtrace_id: fbtrace() } });
    }
  }
}
