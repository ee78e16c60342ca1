import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PostConflict, PostInvalid, PostNotFound } from '../../domain';
import { AppendTooLarge, WrongExpectedRevision } from '../../event-store';
import { RegistryInvalid, RegistryNotFound } from '../../registry';
import type { Logger } from '../../runtime';
import { ApiError, codeForStatus, type ErrorDetail, sendError } from './errors';
import { requestIdOf, requestLogFields } from './request-state';

interface Mapped {
  status: number;
  code: string;
  message: string;
  details: ErrorDetail[];
}

function fromHttpException(exception: HttpException): Mapped {
  const status = exception.getStatus();
  const response = exception.getResponse();
  let message = exception.message;
  let details: ErrorDetail[] = [];
  if (typeof response === 'object' && response !== null) {
    const body = response as { message?: unknown; details?: unknown };
    if (Array.isArray(body.message)) {
      details = body.message.filter((m): m is string => typeof m === 'string').map((m) => ({ field: 'body', message: m }));
      message = status === 400 || status === 422 ? 'the request has invalid fields' : message;
    } else if (typeof body.message === 'string') {
      message = body.message;
    }
    if (Array.isArray(body.details)) details = body.details as ErrorDetail[];
  }
  if (status === 404 && /^Cannot [A-Z]+ /.test(message)) message = 'no such endpoint';
  return { status, code: codeForStatus(status), message, details };
}

/**
 * One error shape for everything that reaches Nest: `{"error": {code, message, details},
 * "request_id"}`. Anything not recognised is a bug: 500 `internal`, logged with the
 * request id, and its message kept out of the answer.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const mapped = this.map(exception, req);
    sendError(res, mapped.status, mapped.code, mapped.message, mapped.details, requestIdOf(req));
  }

  private map(exception: unknown, req: Request): Mapped {
    if (exception instanceof ApiError) {
      return { status: exception.status, code: exception.code, message: exception.message, details: exception.details };
    }
    if (exception instanceof PostNotFound) return { status: 404, code: 'not_found', message: exception.message, details: [] };
    if (exception instanceof PostConflict) return { status: 409, code: 'conflict', message: exception.message, details: [] };
    if (exception instanceof PostInvalid) {
      return { status: 422, code: 'validation_error', message: exception.message, details: exception.details.map((d) => ({ ...d })) };
    }
    if (exception instanceof AppendTooLarge) {
      return { status: 413, code: 'payload_too_large', message: 'the post is larger than the event store takes in one write; make it smaller', details: [{ field: 'body', message: exception.message }] };
    }
    if (exception instanceof WrongExpectedRevision) {
      return {
        status: 409,
        code: 'conflict',
        message: 'the post was changed by another request; fetch it and try again',
        details: [],
      };
    }
    if (exception instanceof RegistryInvalid) {
      return { status: 422, code: 'validation_error', message: 'the request has invalid fields', details: exception.details.map((d) => ({ ...d })) };
    }
    if (exception instanceof RegistryNotFound) {
      return { status: 404, code: 'not_found', message: `${exception.kind.replace('_', ' ')} ${exception.id} not found`, details: [] };
    }
    if (exception instanceof HttpException) {
      const mapped = fromHttpException(exception);
      if (mapped.status >= 500) this.logger.error({ ...requestLogFields(req), err: exception }, 'request failed');
      return mapped;
    }
    this.logger.error({ ...requestLogFields(req), err: exception }, 'request failed with an unexpected error');
    return { status: 500, code: 'internal', message: 'internal error; the request id identifies it in the server logs', details: [] };
  }
}
