import { JsonResponse } from '../http/request-json';
import { metaFailure } from '../facebook/errors';
import { PlatformError } from '../port';
import { THREADS_NAME } from './rules';

/** Threads answers Meta's Graph API errors; see `metaFailure` for the classification. */
export function threadsFailure(response: Pick<JsonResponse, 'status' | 'body' | 'text' | 'headers'>, now: number = Date.now()): PlatformError {
  return metaFailure(THREADS_NAME, response, now);
}

/**
 * A container that ended in `ERROR`: its `error_message` names the reason
 * (`FAILED_DOWNLOADING_VIDEO`, `INVALID_ASPEC_RATIO`, ...; https://developers.facebook.com/docs/threads/troubleshooting).
 */
export function containerFailure(containerId: string, errorMessage: unknown): PlatformError {
  const reason = typeof errorMessage === 'string' && errorMessage.trim() !== '' ? errorMessage.trim() : 'UNKNOWN';
  return new PlatformError('rejected', `${THREADS_NAME} could not process media container ${containerId}: ${reason}`);
}
