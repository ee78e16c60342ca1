import { XRPCError } from '@atproto/api';
import { HeaderSource, parseRetryAfter, reconnectMessage } from '../http';
import { PlatformError } from '../port';
import { BLUESKY_NAME, BLUESKY_RATE_LIMIT_HEADERS } from './rules';

// XRPC error names that mean the session's token is no good (after the agent's own refresh attempt).
const SESSION_REFUSALS = new Set(['AuthenticationRequired', 'ExpiredToken', 'InvalidToken', 'AuthMissing']);
// `ResponseType.Unknown` and `InvalidResponse`: no usable answer reached us.
const NO_ANSWER = new Set([1, 2]);

function isXrpcError(err: unknown): err is XRPCError {
  return err instanceof XRPCError || (typeof (err as XRPCError)?.status === 'number' && typeof (err as XRPCError)?.error === 'string' && (err as XRPCError)?.success === false);
}

/** The PDS refused the session's token (a 401, or an expired/invalid token error). */
export function isSessionRefusal(err: unknown): boolean {
  return isXrpcError(err) && (err.status === 401 || SESSION_REFUSALS.has(err.error));
}

function retryAfter(err: XRPCError): { retryAfterMs?: number } {
  const retryAfterMs = parseRetryAfter(err.headers as HeaderSource | undefined, Date.now(), { resetHeaders: BLUESKY_RATE_LIMIT_HEADERS });
  return retryAfterMs === undefined ? {} : { retryAfterMs };
}

function networkReason(err: XRPCError): string {
  const cause = (err as { cause?: { cause?: { message?: string }; message?: string } }).cause;
  return cause?.cause?.message ?? cause?.message ?? err.message;
}

/** Classifies a failure of an XRPC call (other than session handling, see the adapter). */
export function blueskyFailure(err: unknown): PlatformError {
  if (err instanceof PlatformError) return err;
  if (!isXrpcError(err)) return new PlatformError('transient', `${BLUESKY_NAME} request failed: ${(err as Error)?.message ?? String(err)}`);
  const details = { status: err.status, platformCode: err.error };
  if (err.status === 429) return new PlatformError('rate_limited', `${BLUESKY_NAME} rate limit reached (${err.message})`, { ...details, ...retryAfter(err) });
  if (isSessionRefusal(err)) return new PlatformError('auth', reconnectMessage(BLUESKY_NAME, err.message), details);
  if (NO_ANSWER.has(err.status)) return new PlatformError('transient', `${BLUESKY_NAME} could not be reached: ${networkReason(err)}`, { platformCode: err.error });
  if (err.status >= 500) return new PlatformError('transient', `${BLUESKY_NAME} is unavailable (HTTP ${err.status}: ${err.message})`, details);
  return new PlatformError('rejected', `${BLUESKY_NAME} refused the post: ${err.message}`, details);
}

/**
 * Classifies a refused `createSession`: only a missing answer (network, 5xx) or a rate
 * limit is worth retrying; any other refusal means the identifier or app password no
 * longer works.
 */
export function loginFailure(err: unknown): PlatformError {
  if (err instanceof PlatformError) return err;
  if (!isXrpcError(err)) return new PlatformError('transient', `${BLUESKY_NAME} login failed: ${(err as Error)?.message ?? String(err)}`);
  if (err.status === 429 || NO_ANSWER.has(err.status) || err.status >= 500) return blueskyFailure(err);
  return new PlatformError('auth', reconnectMessage(BLUESKY_NAME, err.message), { status: err.status, platformCode: err.error });
}
