import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import type { Accounts, AccountView } from '../../../registry';
import { ACCOUNTS, Caller, type RequestContext } from '../../../wiring';
import { ApiError } from '../errors';
import { ConnectAccountBody } from './accounts.dto';

function notFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `account ${id} not found`);
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
  connect(@Caller() caller: RequestContext, @Body() body: ConnectAccountBody): Promise<AccountView> {
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
