import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { type HealthReport, RUNTIME, type Runtime } from '../../../runtime';

/** Liveness and readiness, public. Not ready (503) while a dependency does not answer. */
@Controller('health')
export class HealthController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get()
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthReport> {
    const report = await this.runtime.health();
    res.status(report.ready ? 200 : 503);
    return report;
  }

  /** The process is up and serving; says nothing of its dependencies. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthReport> {
    return this.health(res);
  }
}
