import 'reflect-metadata';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/**
 * The framework's own ceiling on this machine: Nest on Express answering a fixed JSON
 * object for `GET /v1/posts/:id`, with no auth, storage or validation. `bench/api.ts`
 * measures it beside Postloom so the API figures can be read against what the stack the
 * user chose (`@nestjs/platform-express`) allows here at all.
 */
@Controller('v1/posts')
class BaselineController {
  @Get(':id')
  get(@Param('id') id: string): Record<string, unknown> {
    return { id, content: 'Benchmarking Postloom', platforms: ['twitter', 'bluesky', 'mastodon'], status: 'draft' };
  }
}

@Module({ controllers: [BaselineController] })
class BaselineModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(BaselineModule, { logger: false });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.stdout.write(`Postloom listening on http://127.0.0.1:${process.env.PORT} (nest baseline)\n`);
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
