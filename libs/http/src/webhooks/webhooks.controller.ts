import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import type { WebhookDelivery, Webhooks, WebhookView, WebhookWithSecret } from '../../../registry';
import { Caller, type RequestContext, WEBHOOKS } from '../../../wiring';
import { ApiError } from '../errors';
import { CreateWebhookBody, DeliveriesQuery } from './webhooks.dto';

function notFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `webhook ${id} not found`);
}

/** Subscriptions to post events; the signing secret is shown once, at creation. */
@Controller('webhooks')
export class WebhooksController {
  constructor(@Inject(WEBHOOKS) private readonly webhooks: Webhooks) {}

  @Get()
  async list(@Caller() caller: RequestContext): Promise<{ webhooks: WebhookView[] }> {
    return { webhooks: await this.webhooks.list(caller.workspace_id) };
  }

  @Post()
  @HttpCode(201)
  create(@Caller() caller: RequestContext, @Body() body: CreateWebhookBody): Promise<WebhookWithSecret> {
    return this.webhooks.create(caller.workspace_id, { url: body.url, events: body.events, description: body.description ?? null });
  }

  @Get(':id')
  async get(@Caller() caller: RequestContext, @Param('id') id: string): Promise<WebhookView> {
    const webhook = await this.webhooks.get(caller.workspace_id, id);
    if (!webhook) throw notFound(id);
    return webhook;
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() caller: RequestContext, @Param('id') id: string): Promise<void> {
    if (!(await this.webhooks.remove(caller.workspace_id, id))) throw notFound(id);
  }

  @Get(':id/deliveries')
  async deliveries(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
    @Query() query: DeliveriesQuery,
  ): Promise<{ deliveries: WebhookDelivery[] }> {
    if (!(await this.webhooks.get(caller.workspace_id, id))) throw notFound(id);
    return { deliveries: await this.webhooks.listDeliveries(caller.workspace_id, id, query.limit) };
  }
}
