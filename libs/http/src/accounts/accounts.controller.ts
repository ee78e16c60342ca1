import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { accountHealth, type AccountHealth, type Credentials } from '../../../credentials';
import type { Accounts, AccountView } from '../../../registry';
import { ACCOUNTS, Caller, CREDENTIALS, type RequestContext } from '../../../wiring';
import { outboundRefusal, platformOutbound } from '../../../outbound';
import { ApiError, RequestInvalid } from '../errors';
import { ConnectAccountBody } from './accounts.dto';

function notFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `account ${id} not found`);
}

/**
 * An account's `base_url` is where publishing will send its token and posts: one naming an
 * address the operator has not allowed is refused now, and again at every call (DNS changes).
 */
async function checkBaseUrl(baseUrl: string): Promise<void> {
  try {
    await platformOutbound().check(baseUrl);
  } catch (error) {
    const refused = outboundRefusal(error);
    if (refused) throw new RequestInvalid([{ field: 'base_url', message: refused.message }]);
    // Not a URL at all: the registry names the field.
  }
}

/** Connected platform accounts: credentials are written, never read back. */
@Controller('accounts')
export class AccountsController {
  constructor(
    @Inject(ACCOUNTS) private readonly accounts: Accounts,
    @Inject(CREDENTIALS) private readonly credentials: Credentials,
  ) {}

  /** The view with the connection's health (status, expiry, who it is, how it was connected). */
  private async withHealth(workspaceId: string, view: AccountView): Promise<AccountView & AccountHealth> {
    const health = accountHealth(await this.credentials.state(workspaceId, view.id));
    const verified = (view as { platform_user?: AccountHealth['platform_user'] }).platform_user;
    return { ...view, ...health, platform_user: health.platform_user ?? verified ?? null };
  }

  @Get()
  async list(@Caller() caller: RequestContext): Promise<{ accounts: (AccountView & AccountHealth)[] }> {
    const views = await this.accounts.list(caller.workspace_id);
    return { accounts: await Promise.all(views.map((view) => this.withHealth(caller.workspace_id, view))) };
  }

  @Post()
  @HttpCode(201)
  async connect(@Caller() caller: RequestContext, @Body() body: ConnectAccountBody): Promise<AccountView & AccountHealth> {
    if (body.base_url) await checkBaseUrl(body.base_url);
    const view = await this.accounts.connect(caller.workspace_id, {
      platform: body.platform,
      name: body.name,
      credentials: body.credentials,
      base_url: body.base_url ?? null,
    });
    return this.withHealth(caller.workspace_id, view);
  }

  @Get(':id')
  async get(@Caller() caller: RequestContext, @Param('id') id: string): Promise<AccountView & AccountHealth> {
    const account = await this.accounts.get(caller.workspace_id, id);
    if (!account) throw notFound(id);
    return this.withHealth(caller.workspace_id, account);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() caller: RequestContext, @Param('id') id: string): Promise<void> {
    if (!(await this.accounts.remove(caller.workspace_id, id))) throw notFound(id);
  }
}
