import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { MediaLibrary, MediaRecord } from '../../../media-library';
import { parseByteRange } from './byte-ranges';

/** Sends an item's bytes, whole or the one range asked for; the content never passes through memory whole. */
export async function sendMedia(library: MediaLibrary, record: MediaRecord, req: Request, res: Response): Promise<void> {
  const range = parseByteRange(req.headers.range, record.bytes);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', record.mime);
  res.setHeader('ETag', `"${record.sha256}"`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (range === 'unsatisfiable') {
    res.status(416).setHeader('Content-Range', `bytes */${record.bytes}`);
    res.end();
    return;
  }
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${record.bytes}`);
    res.setHeader('Content-Length', range.end - range.start + 1);
  } else {
    res.status(200);
    res.setHeader('Content-Length', record.bytes);
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const body = await library.open(record, range ?? undefined);
  try {
    await pipeline(body, res);
  } catch {
    // The client went away mid-body; nothing to answer to.
  }
}
