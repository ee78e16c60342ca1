import type { Readable } from 'node:stream';
import { createFile, MP4BoxBuffer, type Movie } from 'mp4box';
import sharp from 'sharp';
import { isImageType, sniffMime } from '../../platforms';
import type { ByteRange, MediaFacts } from './port';

/**
 * Facts of a stored file, read from its bytes.
 *
 * Video: mp4box (the maintained pure-JS ISO BMFF parser of the GPAC project) rather than an
 * ffprobe binary in an npm package: no native binary per platform to ship or trust, it runs
 * wherever Node runs, and it parses from buffers placed at file offsets, so only the
 * `moov` box (the movie's metadata, typically well under 1% of the file) is read, never the
 * media data. MP4 and QuickTime (MOV) share the format and are the containers every platform
 * takes; WebM and other containers are refused.
 */

/** Opens the stored bytes, whole or one inclusive range. */
export type OpenBytes = (range?: ByteRange) => Promise<Readable>;

export class MediaUnreadable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaUnreadable';
  }
}

/** The `moov` of a sane file is small; a bigger one is refused rather than read into memory. */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;
const MAX_TOP_LEVEL_BOXES = 10_000;
export const SNIFF_BYTES = 64;

async function readRange(open: OpenBytes, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await open({ start, end })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Enough of any image we take for its header (PNG IHDR, JPEG SOF after EXIF/ICC, GIF, WebP VP8X). */
const IMAGE_HEADER_BYTES = 512 * 1024;

async function imageMetadata(open: OpenBytes, size: number) {
  // The header alone says what libvips needs; the whole image is read only when it does not.
  if (size > IMAGE_HEADER_BYTES) {
    try {
      return await sharp(await readRange(open, 0, IMAGE_HEADER_BYTES - 1)).metadata();
    } catch {
      // Metadata beyond the first bytes (a huge EXIF block): read it all, streamed.
    }
  }
  const reader = sharp();
  const source = await open();
  source.on('error', (error) => reader.destroy(error));
  source.pipe(reader);
  try {
    return await reader.metadata();
  } finally {
    source.destroy();
  }
}

async function imageFacts(open: OpenBytes, size: number, mime: string): Promise<MediaFacts> {
  let meta: Awaited<ReturnType<typeof imageMetadata>>;
  try {
    meta = await imageMetadata(open, size);
  } catch (error) {
    throw new MediaUnreadable(`the bytes are not a readable ${mime.slice(6)} image: ${(error as Error).message}`);
  }
  const { width, height } = meta.autoOrient ?? meta;
  if (!width || !height) throw new MediaUnreadable(`the ${mime.slice(6)} image has no dimensions`);
  return { kind: 'image', mime, width, height, duration_s: null, codec: null, frame_rate: null, has_audio: null };
}

interface TopBox {
  type: string;
  start: number;
  size: number;
}

/** Walks the top-level boxes by their headers only (16 bytes each), wherever `moov` is. */
async function topLevelBoxes(open: OpenBytes, size: number): Promise<TopBox[]> {
  const boxes: TopBox[] = [];
  let offset = 0;
  while (offset + 8 <= size) {
    if (boxes.length >= MAX_TOP_LEVEL_BOXES) throw new MediaUnreadable('the file has too many top-level boxes');
    const header = await readRange(open, offset, Math.min(size, offset + 16) - 1);
    let boxSize = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    if (boxSize === 1) {
      if (header.length < 16) throw new MediaUnreadable(`the ${type} box is cut short`);
      boxSize = Number(header.readBigUInt64BE(8));
    } else if (boxSize === 0) {
      boxSize = size - offset;
    }
    if (boxSize < 8) throw new MediaUnreadable(`the ${type} box at byte ${offset} has an invalid size`);
    boxes.push({ type, start: offset, size: Math.min(boxSize, size - offset) });
    if (type === 'moov') break;
    offset += boxSize;
  }
  return boxes;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

async function videoFacts(open: OpenBytes, size: number, mime: string): Promise<MediaFacts> {
  const boxes = await topLevelBoxes(open, size);
  const moov = boxes.find((b) => b.type === 'moov');
  if (!moov) throw new MediaUnreadable('the video has no moov box (movie metadata); it is incomplete or not an MP4/MOV file');
  if (moov.size > MAX_MOOV_BYTES) throw new MediaUnreadable(`the video's metadata box is larger than ${MAX_MOOV_BYTES} bytes`);

  const file = createFile();
  let movie: Movie | undefined;
  let failure: string | undefined;
  file.onReady = (info) => (movie = info);
  file.onError = (module, message) => (failure = `${module}: ${message}`);
  // The parser gets ftyp and moov as if they were the whole file: facts need no sample
  // offsets, so moving moov next to ftyp changes nothing it reports, and the media data
  // between them (gigabytes, possibly) is never read.
  const parts: Buffer[] = [];
  for (const b of boxes) if (b.type === 'ftyp' || b.type === 'moov') parts.push(await readRange(open, b.start, b.start + b.size - 1));
  const metadata = Buffer.concat(parts);
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(metadata.buffer.slice(metadata.byteOffset, metadata.byteOffset + metadata.byteLength), 0));
  file.flush();
  if (!movie) throw new MediaUnreadable(`the video's metadata could not be read${failure ? `: ${failure}` : ''}`);

  const video = movie.videoTracks[0];
  if (!video) throw new MediaUnreadable('the file has no video track');
  const movieSeconds = movie.timescale > 0 ? movie.duration / movie.timescale : 0;
  const fragmentSeconds = movie.fragment_duration && movie.fragment_duration.den > 0 ? movie.fragment_duration.num / movie.fragment_duration.den : 0;
  const trackSeconds = video.timescale > 0 ? video.duration / video.timescale : 0;
  const seconds = movieSeconds || fragmentSeconds || trackSeconds;
  const frameRate = trackSeconds > 0 && video.nb_samples > 0 ? video.nb_samples / trackSeconds : null;
  const width = video.video?.width || video.track_width || null;
  const height = video.video?.height || video.track_height || null;
  return {
    kind: 'video',
    mime,
    width,
    height,
    duration_s: seconds > 0 ? round(seconds, 3) : null,
    codec: video.codec || null,
    frame_rate: frameRate === null ? null : round(frameRate, 3),
    has_audio: movie.audioTracks.length > 0,
  };
}

/** What the file is, or `MediaUnreadable` saying why it is not an image or video we take. */
export async function readFacts(open: OpenBytes, size: number, head: Buffer): Promise<MediaFacts> {
  const mime = sniffMime(head);
  if (mime && isImageType(mime)) return imageFacts(open, size, mime);
  if (mime === 'video/mp4' || mime === 'video/quicktime') return videoFacts(open, size, mime);
  if (mime) throw new MediaUnreadable(`${mime} is not taken; send MP4 or MOV video`);
  throw new MediaUnreadable('the bytes are not an image or video we take (PNG, JPEG, GIF, WebP, MP4, MOV)');
}

/** The kind the first bytes announce, before the rest has arrived (for size caps). */
export function kindOf(head: Buffer): 'image' | 'video' | null {
  const mime = sniffMime(head);
  if (!mime) return null;
  if (isImageType(mime)) return 'image';
  return mime === 'video/mp4' || mime === 'video/quicktime' ? 'video' : null;
}
