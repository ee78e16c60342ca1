import { PlatformError, type StoredMedia } from '../../platforms';
import type { MediaLibrary } from './media-library';
import type { MediaUrlSigner } from './signed-urls';

/** Long enough for a platform's queue to fetch a video, retries included. */
export const MEDIA_LINK_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The library as the adapters see it: bytes read through the storage port (whichever host
 * stored them, with GridFS), links signed for platforms that fetch. Items were checked
 * against the post's workspace when the post named them.
 */
export function storedMedia(library: MediaLibrary, signer: MediaUrlSigner, clock: () => Date = () => new Date()): StoredMedia {
  return {
    link(mediaId) {
      return signer.url(mediaId, new Date(clock().getTime() + MEDIA_LINK_TTL_MS));
    },
    async load(mediaId) {
      const record = await library.store.getRecord(mediaId);
      if (!record) throw new PlatformError('rejected', `media ${mediaId} was deleted from the media library`);
      const chunks: Buffer[] = [];
      for await (const chunk of await library.open(record)) chunks.push(chunk as Buffer);
      return { bytes: Buffer.concat(chunks), mime: record.mime };
    },
  };
}
