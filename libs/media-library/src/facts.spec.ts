import { Readable } from 'node:stream';
import sharp from 'sharp';
import { kindOf, MediaUnreadable, type OpenBytes, readFacts } from './facts';
import { sampleMp4 } from './testing/sample-mp4';

function opener(bytes: Buffer, reads: Array<[number, number] | 'all'> = []): OpenBytes {
  return async (range) => {
    reads.push(range ? [range.start, range.end] : 'all');
    return Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes]);
  };
}

async function facts(bytes: Buffer, reads?: Array<[number, number] | 'all'>) {
  return readFacts(opener(bytes, reads), bytes.length, bytes.subarray(0, 64));
}

describe('readFacts', () => {
  it('reads an image: kind, mime, displayed width and height', async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#f80' } }).png().toBuffer();
    expect(await facts(png)).toEqual({ kind: 'image', mime: 'image/png', width: 40, height: 30, duration_s: null, codec: null, frame_rate: null, has_audio: null });
    // EXIF orientation 6 turns the stored 40x30 pixels into a 30x40 picture.
    const rotated = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#08f' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await facts(rotated)).toMatchObject({ mime: 'image/jpeg', width: 30, height: 40 });
  });

  it('reads a video: duration, dimensions, codec, frame rate, audio', async () => {
    const mp4 = await sampleMp4({ width: 1280, height: 720, frameRate: 30, durationS: 4, audio: true });
    expect(await facts(mp4)).toEqual({ kind: 'video', mime: 'video/mp4', width: 1280, height: 720, duration_s: 4, codec: 'avc1.64001f', frame_rate: 30, has_audio: true });
    const silent = await sampleMp4({ width: 720, height: 1280, frameRate: 25, durationS: 2, brand: 'qt  ' });
    expect(await facts(silent)).toMatchObject({ mime: 'video/quicktime', width: 720, height: 1280, duration_s: 2, frame_rate: 25, has_audio: false });
  });

  it('reads only box headers and the moov box of a video, wherever moov is', async () => {
    const mp4 = await sampleMp4({ width: 640, height: 360, frameRate: 24, durationS: 10, payloadBytes: 2_000_000, moovAtEnd: true });
    const reads: Array<[number, number] | 'all'> = [];
    expect(await facts(mp4, reads)).toMatchObject({ duration_s: 10, width: 640, height: 360, frame_rate: 24 });
    expect(reads).not.toContain('all');
    const read = (reads as Array<[number, number]>).reduce((sum, [start, end]) => sum + end - start + 1, 0);
    expect(read).toBeLessThan(10_000);
  });

  it('refuses bytes that are no image or video we take, and files that only look like one', async () => {
    await expect(facts(Buffer.from('just some text, not a picture at all'.repeat(3)))).rejects.toBeInstanceOf(MediaUnreadable);
    const fakePng = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
    await expect(facts(fakePng)).rejects.toThrow(/not a readable png image/);
    const mp4 = await sampleMp4({ width: 640, height: 360, frameRate: 24, durationS: 1 });
    const cut = mp4.subarray(0, 40);
    await expect(facts(cut)).rejects.toBeInstanceOf(MediaUnreadable);
    const webm = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.from('....webm....'), Buffer.alloc(64)]);
    await expect(facts(webm)).rejects.toThrow(/video\/webm is not taken/);
  });

  it('tells the kind from the first bytes', async () => {
    expect(kindOf((await sampleMp4({ width: 2, height: 2, frameRate: 1, durationS: 1 })).subarray(0, 64))).toBe('video');
    expect(kindOf(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image');
    expect(kindOf(Buffer.from('hello'))).toBeNull();
  });
});
