import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/** Who is calling and under which request id; set by the auth guard on every authenticated request. */
export interface RequestContext {
  request_id: string;
  key_id: string;
  workspace_id: string;
}

export interface RequestWithContext {
  context?: RequestContext;
  requestId?: string;
}

/** Controller parameter: the caller's context (`@Caller() caller: RequestContext`). */
export const Caller = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestContext => {
  const req = ctx.switchToHttp().getRequest<RequestWithContext>();
  if (!req.context) throw new Error('Caller used on a route without authentication');
  return req.context;
});
