import { JsonResponse } from '../http/request-json';
import { PlatformError } from '../port';
import { metaFailure } from '../facebook/errors';
import { INSTAGRAM_NAME } from './rules';

/** Instagram answers Meta's Graph API errors; see `metaFailure` for the classification. */
export function instagramFailure(response: Pick<JsonResponse, 'status' | 'body' | 'text' | 'headers'>, now: number = Date.now()): PlatformError {
  return metaFailure(INSTAGRAM_NAME, response, now);
}

/**
 * A container that ended in `ERROR`: Instagram could not process the media (format,
 * size, aspect ratio); its `status` field says why, e.g. "Error: ... 2207026".
 */
export function containerFailure(containerId: string, status: unknown): PlatformError {
  const reason = typeof status === 'string' && status.trim() !== '' ? status.trim() : 'processing failed';
  return new PlatformError('rejected', `${INSTAGRAM_NAME} could not process media container ${containerId}: ${reason}`);
}
