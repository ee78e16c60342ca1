import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { accountHealth, type AccountHealth, type AccountHistoryView, ConnectStateInvalid, type Credentials, historyView, type OAuthConnect, type StartedConnect } from '../../../credentials';
import { outboundRefusal, platformOutbound } from '../../../outbound';
import { PlatformError } from '../../../platforms';
import type { Accounts, AccountView } from '../../../registry';
import { ACCOUNTS, Caller, CREDENTIALS, OAUTH_CONNECT, type RequestContext } from '../../../wiring';
import { ApiError, RequestInvalid } from '../errors';

const HISTORY_LIMIT = 500;

function notFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `account ${id} not found`);
}

/** Connecting accounts with OAuth, and keeping them: refresh now, history. */
@Controller('accounts')
export class AccountConnectionsController {
  constructor(
    @Inject(ACCOUNTS) private readonly accounts: Accounts,
    @Inject(CREDENTIALS) private readonly credentials: Credentials,
    @Inject(OAUTH_CONNECT) private readonly connections: OAuthConnect,
  ) {}

  @Post('connect')
  @HttpCode(201)
  async connect(@Caller() caller: RequestContext, @Body() body: Record<string, unknown>): Promise<StartedConnect> {
    const input = typeof body === 'object' && body !== null ? body : {};
    if (typeof input.base_url === 'string') {
      // Where the account's tokens will be sent: an address the operator has not allowed is refused now.
      try {
        await platformOutbound().check(input.base_url);
      } catch (error) {
        const refused = outboundRefusal(error);
        if (refused) throw new RequestInvalid([{ field: 'base_url', message: refused.message }]);
      }
    }
    return this.connections.start(caller.workspace_id, { platform: input.platform, name: input.name, base_url: input.base_url, redirect_url: input.redirect_url });
  }

  @Post(':id/refresh')
  @HttpCode(200)
  async refresh(@Caller() caller: RequestContext, @Param('id') id: string): Promise<AccountView & AccountHealth> {
    const view = await this.accounts.get(caller.workspace_id, id);
    if (!view) throw notFound(id);
    try {
      await this.credentials.refreshNow(caller.workspace_id, id);
    } catch (err) {
      // A definite refusal is now the account's status; a passing one changes nothing and says so.
      if (!(err instanceof PlatformError) || err.kind !== 'auth') {
        throw new ApiError(503, 'unavailable', err instanceof Error ? err.message : 'the platform could not be reached');
      }
    }
    const health = accountHealth(await this.credentials.state(caller.workspace_id, id));
    const verified = (view as { platform_user?: AccountHealth['platform_user'] }).platform_user;
    return { ...view, ...health, platform_user: health.platform_user ?? verified ?? null };
  }

  @Get(':id/history')
  async history(@Caller() caller: RequestContext, @Param('id') id: string): Promise<{ history: AccountHistoryView[] }> {
    if (!(await this.accounts.get(caller.workspace_id, id))) throw notFound(id);
    const entries = await this.credentials.historyOf(caller.workspace_id, id, HISTORY_LIMIT);
    return { history: entries.map(historyView) };
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Where platforms send the person back. No API key: the single-use state is the credential. */
@Controller('oauth')
export class OAuthCallbackController {
  constructor(@Inject(OAUTH_CONNECT) private readonly connections: OAuthConnect) {}

  @Get('callback/:platform')
  async callback(@Param('platform') platform: string, @Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    let finished;
    try {
      finished = await this.connections.finish(platform, query);
    } catch (err) {
      if (err instanceof ConnectStateInvalid) throw new ApiError(400, 'bad_request', err.message, [{ field: 'state', message: err.message }]);
      throw err;
    }
    const { outcome, redirect_url } = finished;
    if (redirect_url) {
      const target = new URL(redirect_url);
      if (outcome.status === 'connected') target.searchParams.set('account_id', outcome.account_id);
      target.searchParams.set('status', outcome.status);
      if (outcome.status !== 'connected') target.searchParams.set('message', outcome.message);
      res.redirect(302, target.toString());
      return;
    }
    const title = outcome.status === 'connected' ? 'Account connected' : outcome.status === 'denied' ? 'Connection refused' : 'Connection failed';
    const text =
      outcome.status === 'connected'
        ? `The ${platform} account is connected as ${outcome.account_id}. You can close this window.`
        : outcome.message;
    res
      .status(outcome.status === 'connected' ? 200 : outcome.status === 'denied' ? 403 : 502)
      .type('html')
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`);
  }
}
