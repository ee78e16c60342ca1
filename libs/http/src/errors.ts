import type { Response } from 'express';

/** One bad input: `field` is a dotted path with `[i]` for array items (`media.images[0].url`). */
export interface ErrorDetail {
  field: string;
  message: string;
  [extra: string]: unknown;
}

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'conflict'
  | 'gone'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'validation_error'
  | 'rate_limited'
  | 'internal'
  | 'unavailable';

/** An answer decided by the HTTP layer itself (auth, limits, request shape). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The request's fields do not pass validation: 422 naming each one. */
export class RequestInvalid extends ApiError {
  constructor(details: ErrorDetail[], message = 'the request has invalid fields') {
    super(422, 'validation_error', message, details);
    this.name = 'RequestInvalid';
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
  request_id: string;
}

export function errorBody(code: string, message: string, details: ErrorDetail[], requestId: string): ErrorBody {
  return { error: { code, message, details }, request_id: requestId };
}

export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 406:
      return 'not_acceptable';
    case 409:
      return 'conflict';
    case 410:
      return 'gone';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 422:
      return 'validation_error';
    case 429:
      return 'rate_limited';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal' : 'bad_request';
  }
}

/** Writes the error shape of the contract; used before Nest routing and by the exception filter. */
export function sendError(res: Response, status: number, code: string, message: string, details: ErrorDetail[], requestId: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).json(errorBody(code, message, details, requestId));
}
