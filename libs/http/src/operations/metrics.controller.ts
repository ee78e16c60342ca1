import { Controller, Get, Header, Inject } from '@nestjs/common';
import { RUNTIME, type Runtime } from '../../../runtime';

/** Prometheus exposition of the process's registry. */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  metrics(): Promise<string> {
    return this.runtime.metrics.registry.metrics();
  }
}
