import sharp from 'sharp';
import { LoadedMedia, PlatformError } from '../port';

export interface ImageSize {
  width: number;
  height: number;
}

export interface FittedImage extends LoadedMedia {
  /** As displayed (EXIF orientation applied); undefined when the image could not be read. */
  size?: ImageSize;
}

const QUALITIES = [85, 75, 65, 55];
const DOWNSCALE_QUALITY = 75;
const SMALLEST_SIDE = 64;

/** Width and height as displayed (EXIF orientation applied), or undefined when sharp cannot read the image. */
export async function imageSize(bytes: Buffer): Promise<ImageSize | undefined> {
  try {
    const meta = await sharp(bytes).metadata();
    const { width, height } = meta.autoOrient ?? meta;
    return width && height ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Brings an image under `maxBytes`: unchanged when it already fits; otherwise re-encoded
 * as JPEG at falling quality, then downscaled until it fits. Throws `rejected` when the
 * image cannot be read or cannot be made small enough.
 */
export async function fitImage(bytes: Buffer, mime: string, maxBytes: number): Promise<FittedImage> {
  const size = await imageSize(bytes);
  if (bytes.length <= maxBytes) return { bytes, mime, size };
  if (!size) throw new PlatformError('rejected', `an image of ${bytes.length} bytes is over the ${maxBytes}-byte limit and could not be read to shrink it`);

  // Orientation is baked into the pixels because the re-encoded file carries no EXIF.
  const encode = (quality: number, width?: number) =>
    sharp(bytes)
      .autoOrient()
      .resize(width ? { width, withoutEnlargement: true } : undefined)
      .flatten({ background: '#ffffff' })
      .jpeg({ quality, mozjpeg: true })
      .toBuffer({ resolveWithObject: true });

  let smallest = Infinity;
  try {
    for (const quality of QUALITIES) {
      const { data, info } = await encode(quality);
      if (data.length <= maxBytes) return { bytes: data, mime: 'image/jpeg', size: { width: info.width, height: info.height } };
      smallest = Math.min(smallest, data.length);
    }
    let width = size.width;
    let last = smallest;
    for (;;) {
      // Bytes scale roughly with pixel count, so the side scales with the square root; aim a bit under.
      width = Math.floor(Math.min(width * 0.9, width * Math.sqrt(maxBytes / last) * 0.95));
      const height = Math.round((width * size.height) / size.width);
      if (width < SMALLEST_SIDE || height < SMALLEST_SIDE) break;
      const { data, info } = await encode(DOWNSCALE_QUALITY, width);
      if (data.length <= maxBytes) return { bytes: data, mime: 'image/jpeg', size: { width: info.width, height: info.height } };
      last = data.length;
    }
  } catch (err) {
    throw new PlatformError('rejected', `an image of ${bytes.length} bytes is over the ${maxBytes}-byte limit and could not be re-encoded: ${(err as Error).message}`);
  }
  throw new PlatformError('rejected', `an image of ${bytes.length} bytes could not be made smaller than ${maxBytes} bytes`);
}
