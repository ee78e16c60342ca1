import { type OutboundPolicy, outboundRefusal, platformOutbound } from '../../../outbound';
import { PlatformError } from '../port';

// Failures that happen while connecting: the request never left, so retrying cannot duplicate it.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface RequestJsonInit extends RequestInit {
  /** Whole exchange, headers and body; default 30 s. */
  timeoutMs?: number;
  /** Sent as the JSON body with `Content-Type: application/json`. */
  json?: unknown;
  /** Names the platform in error messages ("could not reach Mastodon ..."). */
  label?: string;
  /** The address policy for this call; default: the process's platform policy (`PLATFORM_ALLOW_PRIVATE_NETWORKS`). */
  outbound?: OutboundPolicy;
}

export interface JsonResponse {
  status: number;
  ok: boolean;
  headers: Headers;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: unknown;
  text: string;
}

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

// Duck-typed: errors raised inside fetch may come from another realm (jest's sandbox), failing instanceof.
function messageOf(value: unknown): string | undefined {
  const message = (value as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

function describe(err: unknown): string {
  return messageOf((err as { cause?: unknown } | undefined)?.cause) ?? messageOf(err) ?? String(err);
}

/**
 * Classifies an exception thrown by `fetch` (or while reading the body): a connection
 * that was never made is `transient`; anything after the request may have been sent
 * (timeout, reset, closed socket, abort) is `unknown_outcome`, which callers whose
 * writes are idempotent map to `transient`.
 */
export function fetchFailure(err: unknown, what: string, options: { sent?: boolean; timeoutMs?: number } = {}): PlatformError {
  if (err instanceof PlatformError) return err;
  const refused = outboundRefusal(err);
  // Refused before any connection: nothing was sent, and retrying cannot help.
  if (refused) return new PlatformError('rejected', `${what} was not called: ${refused.message}`, { platformCode: 'address_refused' });
  const code = errorCode(err);
  const name = (err as { name?: unknown })?.name;
  if (!options.sent && code !== undefined && NOT_SENT_CODES.has(code)) {
    return new PlatformError('transient', `could not reach ${what}: ${describe(err)}`, { platformCode: code });
  }
  const reason = name === 'TimeoutError' ? `no answer within ${options.timeoutMs ?? '?'} ms` : name === 'AbortError' ? 'aborted' : describe(err);
  return new PlatformError('unknown_outcome', `the outcome of ${what} is unknown (${reason})`, code ? { platformCode: code } : {});
}

function parseBody(text: string, contentType: string | null): unknown {
  const looksJson = (contentType ?? '').includes('json') || /^\s*[[{]/.test(text);
  if (!looksJson) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * `fetch` with a deadline and classified failures; never throws for an HTTP status
 * (check `ok` and hand the rest to `httpFailure` or the adapter's own classification).
 */
export async function requestJson(url: string | URL, init: RequestJsonInit = {}): Promise<JsonResponse> {
  const { timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, json, label, signal, outbound = platformOutbound(), ...rest } = init;
  const method = (rest.method ?? 'GET').toUpperCase();
  const target = new URL(url);
  const what = `${label ? `${label} ` : ''}${method} ${target.origin}${target.pathname}`;
  if (signal?.aborted) throw new PlatformError('transient', `${what} was cancelled before it was sent`);

  const headers = new Headers(rest.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  let body = rest.body;
  if (json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(json);
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;

  let response: Response;
  try {
    response = await outbound.fetch(target, { ...rest, method, headers, body, signal: combined });
  } catch (err) {
    throw fetchFailure(timeout.aborted ? timeout.reason : err, what, { timeoutMs });
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    // The status line arrived, so the platform received the request; only the answer is lost.
    throw fetchFailure(timeout.aborted ? timeout.reason : err, what, { sent: true, timeoutMs });
  }
  return { status: response.status, ok: response.ok, headers: response.headers, body: parseBody(text, response.headers.get('content-type')), text };
}
