import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { PostInvalid, checkPost, decide, initialPostState, type PostState } from '../../domain';
import { bodyShapeProblems, MAX_BODY_DEPTH } from './refuse-unsafe-bodies';
import { CreatePostDto } from './create-post/create-post.dto';
import { ListPostsDto } from './list-posts/list-posts.dto';
import { createInput, updateInput } from './post-input';
import { UpdatePostDto } from './update-post/update-post.dto';

/** The global pipe as the HTTP platform configures it; errors flattened to the dotted paths clients see. */
class Refused extends Error {
  constructor(readonly fields: string[]) {
    super(fields.join(', '));
  }
}
function fieldsOf(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = /^\d+$/.test(e.property) ? `${parent}[${e.property}]` : parent ? `${parent}.${e.property}` : e.property;
    return [...(e.constraints ? [path] : []), ...fieldsOf(e.children ?? [], path)];
  });
}
const pipe = new ValidationPipe({ whitelist: true, transform: true, exceptionFactory: (errors) => new Refused(fieldsOf(errors)) });
const asBody = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

async function refusedFields(metatype: ArgumentMetadata['metatype'], body: unknown, type: ArgumentMetadata['type'] = 'body'): Promise<string[]> {
  try {
    await pipe.transform(body, { type, metatype });
    return [];
  } catch (error) {
    if (error instanceof Refused) return error.fields;
    throw error;
  }
}

const base = { content: 'Hello', platforms: ['twitter', 'bluesky'] };
const NOW = '2030-01-01T00:00:00.000Z';

describe('create and update bodies', () => {
  it('accepts the seed examples and drops unknown fields', async () => {
    const body = (await pipe.transform(
      { ...base, scheduled_for: '2030-04-10T09:00:00Z', media: { images: [{ url: 'https://example.com/blog-header.png', alt_text: 'Blog post header image' }] }, extra: 1 },
      asBody(CreatePostDto),
    )) as CreatePostDto & { extra?: unknown };
    expect(body).toBeInstanceOf(CreatePostDto);
    expect(body.extra).toBeUndefined();
    const input = createInput(body);
    expect(input.scheduled_for).toBe('2030-04-10T09:00:00.000Z');
    expect(input.content.media).toEqual({ images: [{ url: 'https://example.com/blog-header.png', alt_text: 'Blog post header image' }], video: null });
    expect(Object.getPrototypeOf(input.content.media!.images[0])).toBe(Object.prototype);
  });

  it.each<[string, unknown, string[]]>([
    ['missing content', { platforms: ['twitter'] }, ['content']],
    ['empty content', { ...base, content: '' }, ['content']],
    ['number content', { ...base, content: 5 }, ['content']],
    ['content over 100,000 characters', { ...base, content: 'x'.repeat(100_001) }, ['content']],
    ['null platforms', { ...base, platforms: null }, ['platforms']],
    ['empty platforms', { ...base, platforms: [] }, ['platforms']],
    ['unknown platform', { ...base, platforms: ['myspace'] }, ['platforms']],
    ['duplicate platforms', { ...base, platforms: ['twitter', 'twitter'] }, ['platforms']],
    ['numeric scheduled_for', { ...base, scheduled_for: 1767225600 }, ['scheduled_for']],
    ['media as string', { ...base, media: 'x' }, ['media']],
    ['media as array', { ...base, media: [] }, ['media']],
    ['five images', { ...base, media: { images: [1, 2, 3, 4, 5].map((i) => ({ url: `https://e.com/${i}.png` })) } }, ['media.images']],
    ['image not an object', { ...base, media: { images: [null] } }, ['media.images']],
    ['image url not http', { ...base, media: { images: [{ url: 'file:///etc/passwd' }] } }, ['media.images[0].url']],
    ['image url a number', { ...base, media: { images: [{ url: 42 }] } }, ['media.images[0].url']],
    ['images and a video', { ...base, media: { images: [{ url: 'https://e.com/a.png' }], video: { url: 'https://e.com/v.mp4' } } }, ['media.video']],
    ['video thumbnail javascript:', { ...base, media: { video: { url: 'https://e.com/v.mp4', thumbnail_url: 'javascript:alert(1)' } } }, ['media.video.thumbnail_url']],
    ['25 segments', { ...base, segments: Array.from({ length: 25 }, () => ({ content: 'x' })) }, ['segments']],
    ['segment too long', { ...base, segments: [{ content: 'x'.repeat(5001) }] }, ['segments[0].content']],
    ['segment null', { ...base, segments: [null] }, ['segments']],
    ['segment media_urls not urls', { ...base, segments: [{ content: 'x', media_urls: ['nope'] }] }, ['segments[0].media_urls']],
    ['tags too long', { ...base, tags: ['x'.repeat(51)] }, ['tags']],
    ['21 tags', { ...base, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, ['tags']],
    ['overrides as array', { ...base, platform_overrides: ['x'] }, ['platform_overrides']],
    ['settings as string', { ...base, platform_settings: 'x' }, ['platform_settings']],
    ['accounts not strings', { ...base, accounts: [1] }, ['accounts']],
    ['timezone number', { ...base, timezone: 3 }, ['timezone']],
  ])('refuses %s naming the field', async (_name, body, fields) => {
    expect(await refusedFields(CreatePostDto, body)).toEqual(expect.arrayContaining(fields));
    expect(await refusedFields(CreatePostDto, body)).not.toHaveLength(0);
  });

  it('update: every field optional, null refused where it means nothing', async () => {
    expect(await refusedFields(UpdatePostDto, {})).toEqual([]);
    expect(await refusedFields(UpdatePostDto, { scheduled_for: null, media: null, segments: null, tags: null, accounts: null })).toEqual([]);
    expect(await refusedFields(UpdatePostDto, { content: null })).toEqual(['content']);
    expect(await refusedFields(UpdatePostDto, { platforms: null })).toEqual(['platforms']);
    expect(await refusedFields(UpdatePostDto, { timezone: null })).toEqual(['timezone']);
  });

  it('update: only given fields change; null and [] mean none', async () => {
    const state = { ...initialPostState(), exists: true, timezone: 'Europe/Paris', scheduled_for: '2030-02-01T08:00:00.000Z' } as PostState;
    const body = (await pipe.transform({ segments: [], media: null, scheduled_for: null }, asBody(UpdatePostDto))) as UpdatePostDto;
    expect(updateInput(body, state)).toEqual({ changes: { segments: null, media: null }, scheduled_for: null });
    const wall = (await pipe.transform({ scheduled_for: '2030-07-01T09:00' }, asBody(UpdatePostDto))) as UpdatePostDto;
    // Read in the post's zone (Paris, UTC+2 in July) when the update names none.
    expect(updateInput(wall, state)).toEqual({ changes: {}, scheduled_for: '2030-07-01T07:00:00.000Z' });
  });

  it('names scheduled_for when it does not parse, timezone when the zone is unknown', async () => {
    const parse = async (extra: object) => createInput((await pipe.transform({ ...base, ...extra }, asBody(CreatePostDto))) as CreatePostDto);
    await expect(parse({ scheduled_for: 'tomorrow' })).rejects.toMatchObject({ details: [{ field: 'scheduled_for' }] });
    await expect(parse({ scheduled_for: '2030-02-30T10:00:00Z' })).rejects.toBeInstanceOf(PostInvalid);
    await expect(parse({ scheduled_for: '2030-01-01T10:00', timezone: 'Mars/Olympus' })).rejects.toMatchObject({ details: [{ field: 'timezone' }] });
    await expect(parse({ platform_settings: { mastodon: 'public' } })).rejects.toMatchObject({ details: [{ field: 'platform_settings.mastodon' }] });
    await expect(parse({ platform_overrides: { bluesky: 'x'.repeat(100_001) } })).rejects.toMatchObject({ details: [{ field: 'platform_overrides.bluesky' }] });
  });

  it('list query: integers from text, every bad value named', async () => {
    const parsed = (await pipe.transform({ limit: '5', offset: '10', status: 'draft' }, { type: 'query', metatype: ListPostsDto })) as ListPostsDto;
    expect(parsed).toMatchObject({ limit: 5, offset: 10, status: 'draft' });
    for (const [query, field] of [
      [{ limit: '0' }, 'limit'],
      [{ limit: '101' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ limit: '1.5' }, 'limit'],
      [{ limit: ['1', '2'] }, 'limit'],
      [{ offset: '-1' }, 'offset'],
      [{ offset: '' }, 'offset'],
      [{ status: 'gone' }, 'status'],
      [{ status: ['draft', 'failed'] }, 'status'],
    ] as [object, string][]) {
      expect(await refusedFields(ListPostsDto, query, 'query')).toEqual([field]);
    }
  });
});

describe('hostile bodies', () => {
  const deep = (levels: number): unknown => {
    let value: unknown = 'x';
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };

  it('names reserved keys and too deep nesting before the transformer sees them', () => {
    expect(bodyShapeProblems(JSON.parse('{"platform_overrides":{"__proto__":{"x":1}}}'))).toEqual([
      { field: 'platform_overrides.__proto__', message: '"__proto__" is a reserved name' },
    ]);
    expect(bodyShapeProblems({ platform_settings: { twitter: { constructor: 'x' } } }).map((p) => p.field)).toEqual(['platform_settings.twitter.constructor']);
    expect(bodyShapeProblems({ platform_settings: { twitter: deep(MAX_BODY_DEPTH) } }).map((p) => p.field)).toHaveLength(1);
    expect(bodyShapeProblems({ ...base, platform_settings: { mastodon: { visibility: 'public', tags: ['a'] } } })).toEqual([]);
    // The walk is iterative: a body nested a million levels deep is answered, not a stack overflow.
    expect(bodyShapeProblems(JSON.parse('['.repeat(1_000_000) + ']'.repeat(1_000_000)))).toHaveLength(1);
    // Unknown top-level fields are dropped by the pipe, whatever their name.
    expect(bodyShapeProblems(JSON.parse('{"constructor":1,"__proto__":{}}'))).toEqual([]);
  });

  const hostile: unknown[] = [
    null,
    [],
    'text',
    42,
    { ...base, platform_overrides: JSON.parse('{"__proto__":{"polluted":1},"twitter":"x"}') },
    { ...base, platform_overrides: { twitter: { nested: 1 } } },
    { ...base, platform_overrides: { twitter: 5 }, platform_settings: { twitter: { who_can_reply: 5 } } },
    { ...base, platform_overrides: { myspace: 'x', bluesky: '' } },
    { ...base, platform_settings: { twitter: null, bluesky: [1], myspace: {} } },
    { ...base, platform_settings: { twitter: { who_can_reply: { toString: 'x' } } } },
    { ...base, media: { images: 'x', video: 5 } },
    { ...base, media: { images: [{ url: 'https://e.com/a.png', alt_text: { a: 1 } }] } },
    { ...base, media: { video: [] } },
    { ...base, segments: { 0: { content: 'x' } } },
    { ...base, segments: [{ content: ['x'] }, 'y', 3] },
    { ...base, tags: 'x' },
    { ...base, tags: [null, {}, []] },
    { ...base, accounts: 'acc_1' },
    { ...base, scheduled_for: { $gt: '' } },
    { ...base, scheduled_for: '9999-12-31T23:59:59Z' },
    { ...base, scheduled_for: '2000-01-01T00:00:00Z' },
    { ...base, timezone: '' },
    { ...base, timezone: 'x'.repeat(1000) },
    { ...base, content: '   ' },
    { ...base, content: 'x'.repeat(100_001), platforms: ['twitter', 'bluesky', 'mastodon', 'linkedin', 'threads', 'instagram', 'facebook', 'tiktok', 'youtube', 'discord', 'slack', 'telegram'] },
    { ...base, hasOwnProperty: 1, toString: 'x', valueOf: {} },
  ];

  it.each(hostile.map((body, i) => [i, body] as const))('body #%i is accepted or refused by name, never crashes', async (_i, body) => {
    if (bodyShapeProblems(body).length > 0) return;
    for (const metatype of [CreatePostDto, UpdatePostDto]) {
      let dto: unknown;
      try {
        dto = await pipe.transform(body, asBody(metatype));
      } catch (error) {
        expect(error).toBeInstanceOf(Refused);
        expect((error as Refused).fields.every((f) => f.length > 0)).toBe(true);
        continue;
      }
      const state = { ...initialPostState(), exists: true, id: 'post_x', workspace_id: 'ws', platforms: ['twitter'] } as PostState;
      try {
        if (metatype === CreatePostDto) {
          const { content, scheduled_for } = createInput(dto as CreatePostDto);
          decide(initialPostState(), { type: 'CreatePost', post_id: 'post_x', workspace_id: 'ws', content, scheduled_for, now: NOW });
          checkPost(content);
        } else {
          const { changes, scheduled_for } = updateInput(dto as UpdatePostDto, state);
          decide(state, { type: 'UpdatePost', changes, scheduled_for, now: NOW });
        }
      } catch (error) {
        expect(error).toBeInstanceOf(PostInvalid);
        expect((error as PostInvalid).details.every((d) => d.field.length > 0)).toBe(true);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
