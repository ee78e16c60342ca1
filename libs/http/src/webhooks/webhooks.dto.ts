import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { WEBHOOK_EVENTS, type WebhookEvent } from '../../../registry';

/** `POST /v1/webhooks`. The URL itself is checked by the registry (http or https). */
export class CreateWebhookBody {
  @IsString()
  @MaxLength(2048)
  url!: string;

  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @IsIn(WEBHOOK_EVENTS, { each: true, message: `each value in events must be one of: ${WEBHOOK_EVENTS.join(', ')}` })
  events!: WebhookEvent[];

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class DeliveriesQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
