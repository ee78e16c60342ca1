import { All, Controller, Inject, type OnApplicationBootstrap, type OnModuleDestroy, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { MediaUploads } from './media-uploads';

export const MEDIA_UPLOADS = Symbol('MediaUploads');

/** tus 1.0 at `/v1/media/uploads`: every method is the tus server's to answer. */
@Controller('media/uploads')
export class MediaUploadsController implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(MEDIA_UPLOADS) private readonly uploads: MediaUploads) {}

  onApplicationBootstrap(): void {
    this.uploads.start();
  }

  onModuleDestroy(): void {
    this.uploads.stop();
  }

  @All()
  create(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.uploads.handle(req, res);
  }

  @All(':id')
  resume(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.uploads.handle(req, res);
  }
}
