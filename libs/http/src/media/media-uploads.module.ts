import { join } from 'node:path';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Runtime } from '../../../runtime';
import { MediaUploads } from './media-uploads';
import { MEDIA_UPLOADS } from './media-uploads.controller';

/** The tus server of the process, its unfinished uploads under `${DATA_DIR}/media/uploads`. */
@Global()
@Module({})
export class MediaUploadsModule {
  static forRuntime(runtime: Runtime): DynamicModule {
    const uploads = new MediaUploads({
      directory: join(runtime.config.dataDir, 'media', 'uploads'),
      library: runtime.media,
      logger: runtime.logger,
      publicUrl: runtime.config.publicUrl,
    });
    return { module: MediaUploadsModule, providers: [{ provide: MEDIA_UPLOADS, useValue: uploads }], exports: [MEDIA_UPLOADS] };
  }
}
