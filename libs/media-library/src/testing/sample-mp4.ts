import { Readable } from 'node:stream';

/**
 * Writes real, non-fragmented ISO BMFF (MP4) files for tests and benches: `ftyp`, `moov`
 * (an H.264 video track, optionally an AAC audio track, sample tables) and an `mdat` of the
 * promised size. The samples are zeros (nothing decodes them); every box a parser reads
 * to learn duration, dimensions, codec, frame rate and audio presence is as a camera writes it.
 */
export interface SampleMp4Options {
  width: number;
  height: number;
  frameRate: number;
  durationS: number;
  audio?: boolean;
  /** Bytes of video sample data in `mdat` (default: 200 per frame). */
  payloadBytes?: number;
  /** Put `moov` after `mdat`, as many cameras do (a reader must then seek to the end). */
  moovAtEnd?: boolean;
  /** `ftyp` major brand: `isom` (MP4, default) or `qt  ` (QuickTime). */
  brand?: 'isom' | 'qt  ';
}

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(body.length + 8, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

function fullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, head, ...payload);
}

function u32(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeUInt32BE(v >>> 0, i * 4));
  return out;
}

function u16(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => out.writeUInt16BE(v & 0xffff, i * 2));
  return out;
}

const MATRIX = u32(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);
const MOVIE_TIMESCALE = 1000;

interface TrackPlan {
  id: number;
  handler: 'vide' | 'soun';
  timescale: number;
  sampleCount: number;
  sampleDelta: number;
  sampleSize: number;
  chunkOffset: number;
  durationS: number;
  width?: number;
  height?: number;
}

function sampleEntry(plan: TrackPlan): Buffer {
  if (plan.handler === 'vide') {
    const avcC = box('avcC', Buffer.from([1, 0x64, 0x00, 0x1f, 0xff, 0xe0, 0x00]));
    return box(
      'avc1',
      Buffer.alloc(6),
      u16(1),
      Buffer.alloc(16),
      u16(plan.width ?? 0, plan.height ?? 0),
      u32(0x00480000, 0x00480000, 0),
      u16(1),
      Buffer.alloc(32),
      u16(0x0018, 0xffff),
      avcC,
    );
  }
  return box('mp4a', Buffer.alloc(6), u16(1), Buffer.alloc(8), u16(2, 16, 0, 0), u32(plan.timescale << 16));
}

function trak(plan: TrackPlan): Buffer {
  const movieDuration = Math.round(plan.durationS * MOVIE_TIMESCALE);
  const mediaDuration = plan.sampleCount * plan.sampleDelta;
  const video = plan.handler === 'vide';
  const tkhd = fullBox(
    'tkhd',
    0,
    3,
    u32(0, 0, plan.id, 0, movieDuration, 0, 0),
    u16(0, 0, video ? 0 : 0x0100, 0),
    MATRIX,
    u32((plan.width ?? 0) << 16, (plan.height ?? 0) << 16),
  );
  const mdhd = fullBox('mdhd', 0, 0, u32(0, 0, plan.timescale, mediaDuration), u16(0x55c4, 0));
  const hdlr = fullBox('hdlr', 0, 0, u32(0), Buffer.from(plan.handler, 'latin1'), Buffer.alloc(12), Buffer.from(video ? 'VideoHandler\0' : 'SoundHandler\0', 'latin1'));
  const header = video ? fullBox('vmhd', 0, 1, Buffer.alloc(8)) : fullBox('smhd', 0, 0, Buffer.alloc(4));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), sampleEntry(plan)),
    fullBox('stts', 0, 0, u32(1, plan.sampleCount, plan.sampleDelta)),
    fullBox('stsc', 0, 0, u32(1, 1, plan.sampleCount, 1)),
    fullBox('stsz', 0, 0, u32(plan.sampleSize, plan.sampleCount)),
    fullBox('stco', 0, 0, u32(1, plan.chunkOffset)),
  );
  return box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', header, dinf, stbl)));
}

function layout(options: SampleMp4Options, mdatDataOffset: number): { moov: Buffer; payload: number } {
  const frames = Math.max(1, Math.round(options.durationS * options.frameRate));
  const videoTimescale = Math.round(options.frameRate * 1000);
  const videoSampleSize = Math.max(1, Math.floor((options.payloadBytes ?? frames * 200) / frames));
  const video: TrackPlan = {
    id: 1,
    handler: 'vide',
    timescale: videoTimescale,
    sampleCount: frames,
    sampleDelta: 1000,
    sampleSize: videoSampleSize,
    chunkOffset: mdatDataOffset,
    durationS: options.durationS,
    width: options.width,
    height: options.height,
  };
  const tracks = [trak(video)];
  let payload = frames * videoSampleSize;
  if (options.audio) {
    const audioFrames = Math.max(1, Math.round((options.durationS * 48000) / 1024));
    tracks.push(
      trak({ id: 2, handler: 'soun', timescale: 48000, sampleCount: audioFrames, sampleDelta: 1024, sampleSize: 16, chunkOffset: mdatDataOffset + payload, durationS: options.durationS }),
    );
    payload += audioFrames * 16;
  }
  const mvhd = fullBox('mvhd', 0, 0, u32(0, 0, MOVIE_TIMESCALE, Math.round(options.durationS * MOVIE_TIMESCALE), 0x00010000), u16(0x0100, 0), Buffer.alloc(8), MATRIX, Buffer.alloc(24), u32(tracks.length + 1));
  return { moov: box('moov', mvhd, ...tracks), payload };
}

function ftyp(brand: string): Buffer {
  return box('ftyp', Buffer.from(brand, 'latin1'), u32(512), Buffer.from(`${brand}iso2avc1mp41`, 'latin1'));
}

function mdatHeader(payload: number): Buffer {
  return Buffer.concat([u32(payload + 8), Buffer.from('mdat', 'latin1')]);
}

/** The whole file as a stream, sample data generated as it is read (a 500 MB file costs no memory). */
export function sampleMp4Stream(options: SampleMp4Options): Readable {
  const head = ftyp(options.brand ?? 'isom');
  const sized = layout(options, 0);
  const offset = options.moovAtEnd ? head.length + 8 : head.length + sized.moov.length + 8;
  const { moov, payload } = layout(options, offset);
  const before = options.moovAtEnd ? [head, mdatHeader(payload)] : [head, moov, mdatHeader(payload)];
  const after = options.moovAtEnd ? [moov] : [];
  const zeros = Buffer.alloc(1024 * 1024);
  let remaining = payload;
  async function* parts(): AsyncGenerator<Buffer> {
    yield* before;
    while (remaining > 0) {
      const n = Math.min(zeros.length, remaining);
      remaining -= n;
      yield n === zeros.length ? zeros : zeros.subarray(0, n);
    }
    yield* after;
  }
  return Readable.from(parts(), { objectMode: false });
}

/** A small file in memory (tests). */
export async function sampleMp4(options: SampleMp4Options): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of sampleMp4Stream(options)) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
