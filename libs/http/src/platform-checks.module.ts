import { type DynamicModule, Global, Module } from '@nestjs/common';
import { adapterOptionsFor, createPlatformAdapters, platformChecks } from '../../publishing';
import type { Runtime } from '../../runtime';
import { PLATFORM_CHECKS } from '../../wiring';

/**
 * Binds `PLATFORM_CHECKS` to the adapters of every platform, so `validate` and a publish
 * refuse what the publishers would refuse. Only their `check` runs here: no requests.
 */
@Global()
@Module({})
export class PlatformChecksModule {
  static forRuntime(runtime: Runtime): DynamicModule {
    const media = { allowPrivateNetworks: runtime.config.mediaAllowPrivateNetworks, stored: runtime.storedMedia };
    const provider = { provide: PLATFORM_CHECKS, useValue: platformChecks(createPlatformAdapters(adapterOptionsFor(media)), media) };
    return { module: PlatformChecksModule, providers: [provider], exports: [PLATFORM_CHECKS] };
  }
}
