import { isIP } from 'node:net';
import { delay } from '../http/delay';
import { JsonResponse, requestJson } from '../http/request-json';
import { isPrivateAddress } from '../../../outbound';
import { MediaAttachment, PlatformError } from '../port';
import { metaFailure } from './errors';

/**
 * Calls to Meta's Graph API family (Facebook Pages, Instagram, Threads), shared by the
 * three adapters: parameters as Meta documents them (query string for reads, a form body
 * for writes), the token in `Authorization: Bearer` so it never lands in a logged URL.
 */

/**
 * How a lost answer is treated:
 * - `read`: nothing changed, asking again is harmless.
 * - `repeatable`: a write that leaves nothing visible when repeated (a container, an
 *   unpublished photo, an upload session), so a lost answer is worth retrying.
 * - `final`: the write that makes a post or comment appear; a lost answer stays `unknown_outcome`.
 */
export type GraphWrite = 'read' | 'repeatable' | 'final';

export type GraphParams = Record<string, string | number | boolean | undefined>;

export interface GraphCall {
  platformName: string;
  token: string;
  write: GraphWrite;
  timeoutMs?: number;
  signal?: AbortSignal;
  now: () => number;
  /** Replaces the `Authorization` header (the resumable upload host wants `OAuth <token>`). */
  headers?: Record<string, string>;
}

function encoded(params: GraphParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) out.set(key, String(value));
  return out;
}

export async function graphRequest(method: 'GET' | 'POST', url: string, params: GraphParams, call: GraphCall): Promise<JsonResponse> {
  const target = new URL(url);
  const form = encoded(params);
  if (method === 'GET') for (const [key, value] of form) target.searchParams.set(key, value);
  const headers: Record<string, string> = { authorization: `Bearer ${call.token}`, ...call.headers };
  let response: JsonResponse;
  try {
    response = await requestJson(target, {
      method,
      headers: method === 'POST' ? { ...headers, 'content-type': 'application/x-www-form-urlencoded' } : headers,
      body: method === 'POST' ? form.toString() : undefined,
      label: call.platformName,
      timeoutMs: call.timeoutMs,
      signal: call.signal,
    });
  } catch (err) {
    if (err instanceof PlatformError && err.kind === 'unknown_outcome' && call.write !== 'final') {
      throw new PlatformError('transient', `${err.message}; repeating it is harmless`, err.details);
    }
    throw err;
  }
  if (!response.ok) throw metaFailure(call.platformName, response, call.now());
  return response;
}

/** The answer's JSON object (Meta always answers one on success). */
export async function graphCall(method: 'GET' | 'POST', url: string, params: GraphParams, call: GraphCall): Promise<Record<string, unknown>> {
  const response = await graphRequest(method, url, params, call);
  const body = response.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new PlatformError(call.write === 'final' ? 'unknown_outcome' : 'transient', `${call.platformName} answered ${method} ${new URL(url).pathname} without a JSON object`);
  }
  return body as Record<string, unknown>;
}

export function idOf(body: Record<string, unknown>, key = 'id'): string | undefined {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/**
 * Meta fetches media itself from the URL it is given, so a URL only this server can
 * reach (loopback, private network) would fail on Meta's side after a slow wait; refused
 * up front unless private networks are allowed (tests, self-hosted Meta stand-ins).
 */
export function publicMediaProblems(platformName: string, media: readonly MediaAttachment[], allowPrivateNetworks: boolean | undefined): string[] {
  if (allowPrivateNetworks) return [];
  const problems: string[] = [];
  media.forEach((m, i) => {
    let url: URL;
    try {
      url = new URL(m.url);
    } catch {
      problems.push(`${m.kind} ${i + 1} has no valid URL`);
      return;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const privateHost = isIP(host) ? isPrivateAddress(host) : host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal');
    if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`${m.kind} ${i + 1} must be an http(s) URL ${platformName} can fetch`);
    else if (privateHost) problems.push(`${platformName} fetches media from a public URL; ${m.kind} ${i + 1} (${url.host}) is on a private network`);
  });
  return problems;
}

/** Waits between polls; a cancelled publish stops waiting at once (nothing was posted yet). */
export function pause(ms: number, platformName: string, signal?: AbortSignal): Promise<void> {
  const cancelled = () => new PlatformError('transient', `${platformName}: waiting for media processing was cancelled`);
  return signal?.aborted ? Promise.reject(cancelled()) : delay(ms, signal, cancelled);
}

/** Unix seconds for Graph's `since` filter, a few minutes before the publish request to absorb clock skew. */
export function sinceOf(requestedAt: string, slackMs: number): number {
  const at = Date.parse(requestedAt);
  return Math.floor(((Number.isNaN(at) ? Date.now() : at) - slackMs) / 1000);
}

/** Meta's timestamps (`2026-03-01T12:00:00+0000`) in epoch milliseconds. */
export function graphTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const normalized = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const at = Date.parse(normalized);
  return Number.isNaN(at) ? undefined : at;
}

/** Text as Meta gives it back: same characters, line endings and surrounding blanks aside. */
export function sameText(a: unknown, b: string): boolean {
  if (typeof a !== 'string') return false;
  const norm = (s: string) => s.replace(/\r\n/g, '\n').trim().normalize('NFC');
  return norm(a) === norm(b);
}

export interface Listed {
  items: Array<Record<string, unknown>>;
  hasMore: boolean;
}

/** A Graph collection answer: `{data: [...], paging: {next?}}`. */
export function listed(body: Record<string, unknown>): Listed {
  const data = Array.isArray(body.data) ? (body.data as unknown[]).filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object') : [];
  const paging = body.paging as { next?: unknown } | undefined;
  return { items: data, hasMore: typeof paging?.next === 'string' && paging.next !== '' };
}

/**
 * After an unknown outcome: the item matching the segment, `null` when the listing
 * certainly covers the time since the request and holds no match, or `unknown_outcome`
 * when more items are newer than the request than one page shows.
 */
export function foundIn<T>(platformName: string, listing: Listed, windowStart: number, matches: (item: Record<string, unknown>) => boolean, timeOf: (item: Record<string, unknown>) => number | undefined, toRef: (item: Record<string, unknown>) => T): T | null {
  const hit = listing.items.find(matches);
  if (hit) return toRef(hit);
  const times = listing.items.map(timeOf);
  const coversWindow = !listing.hasMore || times.some((t) => t !== undefined && t < windowStart);
  if (coversWindow) return null;
  throw new PlatformError('unknown_outcome', `${platformName}: more posts were made since the request than one page shows; whether this one was published cannot be told`);
}
