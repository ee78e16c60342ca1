import * as http from 'node:http';
import * as https from 'node:https';
import { OutboundPolicy, outboundRefusal } from '../../../outbound';
import { LoadedMedia, PlatformError } from '../port';
import { isImageType, isVideoType, sniffMime } from './sniff';

export const DEFAULT_MEDIA_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 5;

export interface FetchMediaOptions {
  /** The download is cut off, and refused, past this many bytes. */
  maxBytes: number;
  /** Lets URLs reach loopback and private addresses (tests; production reads `MEDIA_ALLOW_PRIVATE_NETWORKS=true`). */
  allowPrivateNetworks?: boolean;
  /** The address policy to download under (e.g. one with its own resolver); default: one from `allowPrivateNetworks`. */
  outbound?: OutboundPolicy;
  /** Whole download, redirects included; default 60 s. */
  timeoutMs?: number;
  /**
   * Names the media in messages and refuses bytes of the other kind; `page` fetches a web
   * page (a shared link's HTML), whose bytes are not sniffed as media.
   */
  kind?: 'image' | 'video' | 'page';
  signal?: AbortSignal;
}

class DownloadTimedOut extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
  }
}

// Query strings often carry signatures; they have no place in an error message kept in events.
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
  } catch {
    return url.slice(0, 200);
  }
}

interface Answer {
  status: number;
  location?: string;
  bytes?: Buffer;
  /** The body went to a consumer instead of `bytes`. */
  consumed?: boolean;
}

/** Takes a 2xx body as it arrives (`streamMedia`); rejects to refuse it. */
export type MediaBodyConsumer = (body: http.IncomingMessage) => Promise<void>;

/** What a consumer threw, carried past the download's own error classification. */
class ConsumerFailed extends Error {
  constructor(readonly original: unknown) {
    super('the media body was refused');
  }
}

export const MEDIA_FLAG = 'MEDIA_ALLOW_PRIVATE_NETWORKS';

function downloadOnce(
  target: URL,
  options: FetchMediaOptions,
  policy: OutboundPolicy,
  remainingMs: number,
  tooBig: () => PlatformError,
  consume?: MediaBodyConsumer,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(target, {
      method: 'GET',
      headers: {
        accept: options.kind === 'page' ? 'text/html, application/xhtml+xml;q=0.9, */*;q=0.5' : 'image/*, video/*;q=0.9, */*;q=0.5',
        'user-agent': 'Postloom media fetcher',
      },
      lookup: policy.lookup,
      signal: options.signal,
    });
    const timer = setTimeout(() => request.destroy(new DownloadTimedOut(options.timeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS)), remainingMs);
    const settle = <T>(fn: (value: T) => void) => (value: T) => {
      clearTimeout(timer);
      fn(value);
    };
    const done = settle(resolve);
    const failed = settle(reject);

    request.on('error', failed);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        response.resume();
        done({ status, location: response.headers.location });
        return;
      }
      if (Number(response.headers['content-length']) > options.maxBytes) {
        request.destroy();
        failed(tooBig());
        return;
      }
      if (consume) {
        consume(response).then(
          () => done({ status, consumed: true }),
          (error: unknown) => {
            request.destroy();
            failed(new ConsumerFailed(error));
          },
        );
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      response.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > options.maxBytes) {
          request.destroy();
          failed(tooBig());
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', failed);
      response.on('end', () => done({ status, bytes: Buffer.concat(chunks) }));
    });
    request.end();
  });
}

/**
 * Downloads media a post points at: http(s) only, public addresses only unless allowed,
 * size-capped while streaming, type sniffed from the bytes. Failures are `rejected`
 * (4xx, too big, unknown type, private address, no such host) or `transient`
 * (network, timeout, 5xx, 429).
 */
export async function fetchMedia(url: string, options: FetchMediaOptions): Promise<LoadedMedia> {
  const { answer, failure } = await follow(url, options);
  const bytes = answer.bytes as Buffer;
  if (options.kind === 'page') return { bytes, mime: 'text/html' };
  const mime = sniffMime(bytes);
  if (!mime) throw failure('rejected', 'not an image or video of a known type (png, jpeg, gif, webp, mp4, mov, webm)');
  if (options.kind === 'image' && !isImageType(mime)) throw failure('rejected', `it is ${mime}, not an image`);
  if (options.kind === 'video' && !isVideoType(mime)) throw failure('rejected', `it is ${mime}, not a video`);
  return { bytes, mime };
}

/**
 * Like `fetchMedia`, under the same address policy, redirects and timeout, but the body is
 * handed to `consume` as it arrives instead of being held (media library imports); what
 * `consume` rejects with is rethrown as it is. Sniffing and size caps are the consumer's.
 */
export async function streamMedia(url: string, options: Omit<FetchMediaOptions, 'kind'>, consume: MediaBodyConsumer): Promise<void> {
  await follow(url, options, consume);
}

async function follow(url: string, options: FetchMediaOptions, consume?: MediaBodyConsumer) {
  const label = options.kind ?? 'media';
  const failure = (kind: 'rejected' | 'transient', reason: string, status?: number) =>
    new PlatformError(kind, `${label} ${shownUrl(url)} could not be downloaded: ${reason}`, status === undefined ? {} : { status });
  const timeoutMs = options.timeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const tooBig = () => failure('rejected', `it is larger than ${options.maxBytes} bytes`);

  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw failure('rejected', 'not a valid URL');
  }
  const policy = options.outbound ?? new OutboundPolicy({ allowPrivateNetworks: options.allowPrivateNetworks ?? false, flag: MEDIA_FLAG });
  for (let redirects = 0; ; redirects++) {
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const refused = policy.refusal(target);
    if (refused) throw failure('rejected', refused.message);

    let answer: Answer;
    try {
      answer = await downloadOnce(target, options, policy, Math.max(1, deadline - Date.now()), tooBig, consume);
    } catch (err) {
      if (err instanceof ConsumerFailed) throw err.original;
      if (err instanceof PlatformError) throw err;
      const refusedAtConnect = outboundRefusal(err);
      if (refusedAtConnect) throw failure('rejected', refusedAtConnect.message);
      if (err instanceof DownloadTimedOut) throw failure('transient', err.message);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND') throw failure('rejected', `host ${host} not found`);
      throw failure('transient', (err as Error).message ?? String(err));
    }

    const { status } = answer;
    if (status >= 300 && status < 400 && answer.location) {
      if (redirects >= MAX_REDIRECTS) throw failure('rejected', `more than ${MAX_REDIRECTS} redirects`);
      target = new URL(answer.location, target);
      continue;
    }
    if (status === 429 || status === 408 || status >= 500) throw failure('transient', `HTTP ${status}`, status);
    if (!answer.bytes && !answer.consumed) throw failure('rejected', `HTTP ${status}`, status);
    return { answer, failure };
  }
}
