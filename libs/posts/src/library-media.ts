import { Inject, Injectable } from '@nestjs/common';
import { type FieldProblem, type MediaFile, type PostContent, PostInvalid } from '../../domain';
import type { MediaLibrary, MediaRecord } from '../../media-library';
import { MEDIA_LIBRARY } from '../../wiring';

function fileOf(record: MediaRecord): MediaFile {
  return { sha256: record.sha256, kind: record.kind, mime: record.mime, bytes: record.bytes, width: record.width, height: record.height, duration_s: record.duration_s };
}

/**
 * Media library items a post names (`media_id`, `segments[i].media_ids`): each must be an
 * item of the post's workspace (422 naming the field otherwise); its facts and sha256 are
 * written into the content, so the post's events say which bytes it had and the platform
 * rules can judge the real file.
 */
@Injectable()
export class LibraryMedia {
  constructor(@Inject(MEDIA_LIBRARY) private readonly library: MediaLibrary) {}

  /** Fills in the files of the named items in `content` (mutated); `keep` marks them used by a post (never removed as stale imports). */
  async resolve(workspaceId: string, content: Partial<Pick<PostContent, 'media' | 'segments'>>, keep = true): Promise<void> {
    const problems: FieldProblem[] = [];
    const named: string[] = [];
    const lookup = async (id: string, field: string): Promise<MediaFile | undefined> => {
      const record = await this.library.get(workspaceId, id);
      if (!record) {
        problems.push({ field, message: `no media ${id} in this workspace's media library` });
        return undefined;
      }
      named.push(id);
      return fileOf(record);
    };
    const media = content.media;
    if (media) {
      for (const [i, image] of media.images.entries()) {
        if (!image.media_id) continue;
        const file = await lookup(image.media_id, `media.images[${i}].media_id`);
        if (file && file.kind !== 'image') problems.push({ field: `media.images[${i}].media_id`, message: `media ${image.media_id} is a ${file.kind}, not an image` });
        if (file) image.file = file;
      }
      if (media.video?.media_id) {
        const file = await lookup(media.video.media_id, 'media.video.media_id');
        if (file && file.kind !== 'video') problems.push({ field: 'media.video.media_id', message: `media ${media.video.media_id} is an ${file.kind}, not a video` });
        if (file) media.video.file = file;
      }
    }
    for (const [i, segment] of (content.segments ?? []).entries()) {
      if (!segment.media_ids) continue;
      const files: MediaFile[] = [];
      for (const [j, id] of segment.media_ids.entries()) {
        const file = await lookup(id, `segments[${i}].media_ids[${j}]`);
        if (file) files.push(file);
      }
      if (files.length === segment.media_ids.length) segment.media_files = files;
    }
    if (problems.length > 0) throw new PostInvalid(`${problems[0].field}: ${problems[0].message}`, problems);
    if (keep && named.length > 0) await this.library.markReferenced(named);
  }
}
