import type { Request } from 'express';
import type { RequestContext } from '../../wiring';

/** What the platform middleware attaches to each request. */
export interface PlatformRequest extends Request {
  requestId?: string;
  context?: RequestContext;
  /** `process.hrtime.bigint()` when the request arrived. */
  startedAt?: bigint;
}

export function requestIdOf(req: Request): string {
  return (req as PlatformRequest).requestId ?? '';
}

/** Fields every log line about a request carries; never headers or bodies. */
export function requestLogFields(req: Request): Record<string, unknown> {
  const platform = req as PlatformRequest;
  const fields: Record<string, unknown> = { request_id: platform.requestId, method: req.method, path: req.path };
  if (platform.context) {
    fields.workspace_id = platform.context.workspace_id;
    fields.key_id = platform.context.key_id;
    // Commands take the request id as the correlation id of the events they append.
    fields.correlation_id = platform.context.request_id;
  }
  return fields;
}
