import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import type { Accounts, AccountView } from '../../../registry';
import { ACCOUNTS, Caller, type RequestContext } from '../../../wiring';
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
  constructor(@Inject(ACCOUNTS) private readonly accounts: Accounts) {}

  @Get()
  async list(@Caller() caller: RequestContext): Promise<{ accounts: AccountView[] }> {
    return { accounts: await this.accounts.list(caller.workspace_id) };
  }

  @Post()
  @HttpCode(201)
  async connect(@Caller() caller: RequestContext, @Body() body: ConnectAccountBody): Promise<AccountView> {
    if (body.base_url) await checkBaseUrl(body.base_url);
    return this.accounts.connect(caller.workspace_id, {
      platform: body.platform,
      name: body.name,
      credentials: body.credentials,
      base_url: body.base_url ?? null,
    });
  }

  @Get(':id')
  async get(@Caller() caller: RequestContext, @Param('id') id: string): Promise<AccountView> {
    const account = await this.accounts.get(caller.workspace_id, id);
    if (!account) throw notFound(id);
    return account;
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() caller: RequestContext, @Param('id') id: string): Promise<void> {
    if (!(await this.accounts.remove(caller.workspace_id, id))) throw notFound(id);
  }
}
