import { Platform, PlatformRules, SettingRule, rulesOf } from '../platforms';
import { checkLength } from '../text-length';
import type { PostContent } from './post';
import { type SegmentMedia, threadFor } from './thread';

/** The field that names a library item of segment `segment` (0 is the main post), `position` in its media. */
function mediaIdField(post: Pick<PostContent, 'segments'>, segment: number, media: SegmentMedia, position: number): string {
  if (segment === 0) return media.kind === 'video' ? 'media.video.media_id' : `media.images[${position}].media_id`;
  const urls = post.segments?.[segment - 1]?.media_urls?.length ?? 0;
  return `segments[${segment - 1}].media_ids[${position - urls}]`;
}

/** What the real files of library items (their facts, recorded when the post named them) break of the platform's rules. */
function fileProblems(post: Pick<PostContent, 'segments'>, platform: Platform, rules: PlatformRules, segment: number, media: readonly SegmentMedia[]): PlatformProblem[] {
  const problems: PlatformProblem[] = [];
  media.forEach((m, position) => {
    const file = m.file;
    if (!m.media_id || !file) return;
    const field = mediaIdField(post, segment, m, position);
    const seconds = file.duration_s;
    if (m.kind === 'video' && seconds !== null && rules.media.maxVideoSeconds !== undefined && seconds > rules.media.maxVideoSeconds) {
      problems.push({ platform, field, code: 'video_too_long', message: `${rules.name} takes videos up to ${rules.media.maxVideoSeconds} s; this one is ${seconds} s` });
    }
    // Where Postloom uploads, an image over the limit is re-encoded to fit; a platform that fetches it gets it as it is.
    if (m.kind === 'image' && rules.media.fetchesMedia && rules.media.maxImageBytes !== undefined && file.bytes > rules.media.maxImageBytes) {
      problems.push({ platform, field, code: 'image_too_large', message: `${rules.name} fetches images itself and takes up to ${rules.media.maxImageBytes} bytes; this one is ${file.bytes}` });
    }
  });
  return problems;
}

/** A reason one platform would refuse the post, naming the field. */
export interface PlatformProblem {
  platform: Platform;
  field: string;
  code:
    | 'too_long'
    | 'too_many_images'
    | 'media_required'
    | 'video_required'
    | 'mixed_media'
    | 'alt_text_too_long'
    | 'video_too_long'
    | 'image_too_large'
    | 'invalid_setting'
    | 'unknown_setting'
    | 'setting_required';
  message: string;
}

function describeLength(rules: PlatformRules, limitMax: number, length: number, unit: string, atLeast = false): string {
  return `${rules.name} allows ${limitMax} ${unit}; this has ${atLeast ? 'more than ' + limitMax : length}`;
}

function checkSetting(platform: Platform, key: string, rule: SettingRule, value: unknown): PlatformProblem | null {
  const field = `platform_settings.${platform}.${key}`;
  const bad = (message: string): PlatformProblem => ({ platform, field, code: 'invalid_setting', message });
  switch (rule.type) {
    case 'enum':
      return typeof value === 'string' && rule.values.includes(value) ? null : bad(`must be one of ${rule.values.join(', ')}`);
    case 'boolean':
      return typeof value === 'boolean' ? null : bad('must be a boolean');
    case 'string':
      if (typeof value !== 'string') return bad('must be a string');
      return value.length <= rule.maxLength ? null : bad(`must be at most ${rule.maxLength} characters`);
    case 'string[]':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return bad('must be an array of strings');
      if (value.length > rule.maxItems) return bad(`must have at most ${rule.maxItems} items`);
      return value.every((v: string) => v.length <= rule.maxLength) ? null : bad(`items must be at most ${rule.maxLength} characters`);
  }
}

/** `platform_settings` problems: unknown keys and values outside each setting's rule. */
export function checkSettings(post: Pick<PostContent, 'platform_settings'>): PlatformProblem[] {
  const problems: PlatformProblem[] = [];
  for (const [platform, settings] of Object.entries(post.platform_settings) as [Platform, Record<string, unknown>][]) {
    const rules = rulesOf(platform);
    for (const [key, value] of Object.entries(settings ?? {})) {
      const rule = rules.settings[key];
      if (!rule) {
        problems.push({
          platform,
          field: `platform_settings.${platform}.${key}`,
          code: 'unknown_setting',
          message: `${rules.name} has no setting "${key}"${Object.keys(rules.settings).length ? `; known: ${Object.keys(rules.settings).join(', ')}` : ''}`,
        });
        continue;
      }
      const problem = checkSetting(platform, key, rule, value);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

/**
 * Everything each target platform would refuse about the post: text length per
 * segment (in the platform's own unit), media count and kind, alt text, and settings.
 * Empty when every platform would take it.
 */
export function checkPost(post: PostContent, platforms: readonly Platform[] = post.platforms): PlatformProblem[] {
  const problems: PlatformProblem[] = [];
  for (const platform of platforms) {
    const rules = rulesOf(platform);
    const thread = threadFor(post, platform);
    thread.forEach((segment, i) => {
      const field = i === 0 ? (post.platform_overrides[platform] !== undefined ? `platform_overrides.${platform}` : 'content') : `segments[${i - 1}].content`;
      const limit = segment.media.length > 0 && rules.caption ? rules.caption : rules.text;
      const check = checkLength(segment.text, limit);
      if (!check.ok) {
        const unit = limit.unit === 'weighted' ? 'weighted characters' : limit.unit;
        const message =
          check.length > check.max
            ? describeLength(rules, check.max, check.length, unit, check.atLeast)
            : `${rules.name} allows ${check.maxBytes} bytes; this has ${check.bytes}`;
        problems.push({ platform, field, code: 'too_long', message });
      }
      const images = segment.media.filter((m) => m.kind === 'image');
      const videos = segment.media.filter((m) => m.kind === 'video');
      const mediaField = i === 0 ? 'media' : `segments[${i - 1}].media_urls`;
      if (images.length > rules.media.maxImages) {
        problems.push({
          platform,
          field: mediaField,
          code: 'too_many_images',
          message: rules.media.maxImages === 0 ? `${rules.name} takes no images` : `${rules.name} takes at most ${rules.media.maxImages} images; this has ${images.length}`,
        });
      }
      if (videos.length > rules.media.maxVideos) {
        problems.push({ platform, field: mediaField, code: 'too_many_images', message: `${rules.name} takes at most ${rules.media.maxVideos} video` });
      }
      if (images.length > 0 && videos.length > 0 && !rules.media.mixImagesAndVideo) {
        problems.push({ platform, field: mediaField, code: 'mixed_media', message: `${rules.name} cannot mix images and a video in one post` });
      }
      // Platforms that refuse text-only posts need media on the main post; replies are comments.
      if (i === 0 && rules.media.requiresVideo && videos.length === 0) {
        problems.push({ platform, field: 'media.video', code: 'video_required', message: `${rules.name} needs a video` });
      } else if (i === 0 && rules.media.requiresMedia && segment.media.length === 0) {
        problems.push({ platform, field: 'media', code: 'media_required', message: `${rules.name} needs an image or a video` });
      }
      problems.push(...fileProblems(post, platform, rules, i, segment.media));
      if (rules.media.maxAltText !== undefined) {
        segment.media.forEach((m, j) => {
          if (m.alt_text && m.alt_text.length > rules.media.maxAltText!) {
            problems.push({
              platform,
              field: i === 0 ? `media.images[${j}].alt_text` : `segments[${i - 1}].media_urls[${j}]`,
              code: 'alt_text_too_long',
              message: `${rules.name} takes alt text up to ${rules.media.maxAltText} characters`,
            });
          }
        });
      }
    });
  }
  for (const platform of platforms) {
    const rules = rulesOf(platform);
    for (const [key, rule] of Object.entries(rules.settings)) {
      if (!rule.required || post.platform_settings[platform]?.[key] !== undefined) continue;
      const values = rule.type === 'enum' ? `: one of ${rule.values.join(', ')}, as the account allows` : '';
      problems.push({ platform, field: `platform_settings.${platform}.${key}`, code: 'setting_required', message: `${rule.required}: set platform_settings.${platform}.${key}${values}` });
    }
  }
  const wanted = new Set(platforms);
  return [...problems, ...checkSettings(post).filter((p) => wanted.has(p.platform))];
}
