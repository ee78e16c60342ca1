import { type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import {
  ACCOUNTS,
  CLOCK,
  CONFIG,
  CREDENTIALS,
  OAUTH_CONNECT,
  EVENT_STORE,
  IDEMPOTENCY_KEYS,
  JOB_QUEUE,
  MEDIA_LIBRARY,
  MEDIA_URLS,
  POST_READ_MODEL,
  RATE_LIMITER,
  WEBHOOKS,
  WORKSPACES,
} from '../../wiring';
import type { Runtime } from './runtime';

/** The runtime itself, for the platform's own providers (health, metrics, logging). */
export const RUNTIME = Symbol('Runtime');
/** The pino logger of the process. */
export const LOGGER = Symbol('Logger');

/**
 * Binds every port token of `libs/wiring` to the adapter the runtime opened, for the whole
 * application (`@Global()`), so feature modules just inject them.
 */
@Global()
@Module({})
export class RuntimeModule {
  static forRuntime(runtime: Runtime): DynamicModule {
    const providers: Provider[] = [
      { provide: RUNTIME, useValue: runtime },
      { provide: LOGGER, useValue: runtime.logger },
      { provide: EVENT_STORE, useValue: runtime.eventStore },
      { provide: POST_READ_MODEL, useValue: runtime.readModel },
      { provide: JOB_QUEUE, useValue: runtime.jobQueue },
      { provide: WORKSPACES, useValue: runtime.workspaces },
      { provide: ACCOUNTS, useValue: runtime.accounts },
      { provide: CREDENTIALS, useValue: runtime.credentials },
      { provide: OAUTH_CONNECT, useValue: runtime.oauthConnect },
      { provide: WEBHOOKS, useValue: runtime.webhooks },
      { provide: IDEMPOTENCY_KEYS, useValue: runtime.idempotencyKeys },
      { provide: RATE_LIMITER, useValue: runtime.rateLimiter },
      { provide: CLOCK, useValue: runtime.clock },
      { provide: CONFIG, useValue: runtime.config },
      { provide: MEDIA_LIBRARY, useValue: runtime.media },
      { provide: MEDIA_URLS, useValue: runtime.mediaUrls },
    ];
    return { module: RuntimeModule, global: true, providers, exports: providers.map((p) => (p as { provide: symbol }).provide) };
  }
}
