import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { LOGGER, type Logger, type Runtime, RuntimeModule } from '../../runtime';
import { AccountsController } from './accounts/accounts.controller';
import { AccountConnectionsController, OAuthCallbackController } from './oauth/account-connections.controller';
import { DocsController } from './docs/docs.controller';
import { ApiExceptionFilter } from './exception-filter';
import { HealthController } from './operations/health.controller';
import { MediaController, PublicMediaController } from './media/media.controller';
import { MediaUploadsController } from './media/media-uploads.controller';
import { MediaUploadsModule } from './media/media-uploads.module';
import { MetricsController } from './operations/metrics.controller';
import { PlatformChecksModule } from './platform-checks.module';
import { createValidationPipe } from './validation';
import { WebhooksController } from './webhooks/webhooks.controller';

/** The platform's own endpoints: accounts, webhooks, media, health, metrics, docs. */
@Module({
  // The uploads come before the media routes, so `media/uploads/<id>` is never read as a media id.
  controllers: [
    AccountConnectionsController,
    OAuthCallbackController,
    AccountsController,
    WebhooksController,
    MediaUploadsController,
    MediaController,
    PublicMediaController,
    HealthController,
    MetricsController,
    DocsController,
  ],
})
export class PlatformEndpointsModule {}

/**
 * The HTTP application: feature modules and platform endpoints, one filter and one pipe for
 * all. Routes are matched in registration order, so the feature modules (the busy post
 * routes) come first.
 */
@Module({})
export class HttpModule {
  static forRuntime(runtime: Runtime, features: Type[] = []): DynamicModule {
    return {
      module: HttpModule,
      imports: [RuntimeModule.forRuntime(runtime), PlatformChecksModule.forRuntime(runtime), MediaUploadsModule.forRuntime(runtime), ...features, PlatformEndpointsModule],
      providers: [
        { provide: APP_FILTER, useFactory: (logger: Logger) => new ApiExceptionFilter(logger), inject: [LOGGER] },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
