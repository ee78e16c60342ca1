import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res, UseInterceptors } from '@nestjs/common';
import type { Response } from 'express';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { PostView } from '../../domain';
import { Caller, type RequestContext } from '../../wiring';
import { RefuseUnsafeBodies } from './refuse-unsafe-bodies';
import { CreateAndPublishCommand } from './create-and-publish/create-and-publish.command';
import { CreatePostCommand, type CreatedPost } from './create-post/create-post.command';
import { CreatePostDto } from './create-post/create-post.dto';
import { DeletePostCommand } from './delete-post/delete-post.command';
import { DuplicatePostCommand } from './duplicate-post/duplicate-post.command';
import { GetPostAsOfQuery } from './get-post-as-of/get-post-as-of.query';
import { GetPostQuery } from './get-post/get-post.query';
import { DEFAULT_LIMIT, ListPostsDto, MAX_LIMIT } from './list-posts/list-posts.dto';
import { ListPostsQuery, type PostPage } from './list-posts/list-posts.query';
import { PostHistoryQuery, type PostHistory } from './post-history/post-history.query';
import { PostIdPipe } from './post-id.pipe';
import { DeleteGroupCommand } from './post-group/delete-group.command';
import { GroupIdPipe } from './post-group/group-id.pipe';
import { GroupPostsQuery } from './post-group/group-posts.query';
import { PublishPostCommand } from './publish-post/publish-post.command';
import { RetryPostCommand } from './retry-post/retry-post.command';
import { UpdatePostCommand } from './update-post/update-post.command';
import { UpdatePostDto } from './update-post/update-post.dto';
import { ValidatePostQuery, type PostValidation } from './validate-post/validate-post.query';

/** `/v1/posts` (the `v1` prefix is global). Bodies are validated by the global pipe; errors are mapped by the global filter. */
@Controller('posts')
@UseInterceptors(RefuseUnsafeBodies)
export class PostsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  create(@Caller() caller: RequestContext, @Body() body: CreatePostDto): Promise<CreatedPost> {
    return this.commands.execute(new CreatePostCommand(caller, body));
  }

  /** (from `seeds/004`) The create body, published at once: `202` with the post in `publishing`. */
  @Post('create-and-publish')
  @HttpCode(202)
  createAndPublish(@Caller() caller: RequestContext, @Body() body: CreatePostDto): Promise<PostView> {
    return this.commands.execute(new CreateAndPublishCommand(caller, body));
  }

  @Post('validate')
  @HttpCode(200)
  validate(@Caller() caller: RequestContext, @Body() body: CreatePostDto): Promise<PostValidation> {
    return this.queries.execute(new ValidatePostQuery(caller, body));
  }

  @Get()
  list(@Caller() caller: RequestContext, @Query() query: ListPostsDto): Promise<PostPage> {
    return this.queries.execute(
      new ListPostsQuery(caller, { status: query.status, tag: query.tag, limit: query.limit ?? DEFAULT_LIMIT, offset: query.offset ?? 0 }),
    );
  }

  /** (from `seeds/002`) Every post sharing `group_id`, oldest first; `limit` (default and max 100) and `offset` page it. */
  @Get('group/:group_id')
  group(@Caller() caller: RequestContext, @Param('group_id', GroupIdPipe) groupId: string, @Query() query: ListPostsDto): Promise<PostPage> {
    return this.queries.execute(new GroupPostsQuery(caller, groupId, query.limit ?? MAX_LIMIT, query.offset ?? 0));
  }

  /** Deletes every post of the group, each its own `PostDeleted`; `Deleted-Count` says how many. */
  @Delete('group/:group_id')
  @HttpCode(204)
  async removeGroup(
    @Caller() caller: RequestContext,
    @Param('group_id', GroupIdPipe) groupId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    const { deleted } = await this.commands.execute(new DeleteGroupCommand(caller, groupId));
    res.setHeader('Deleted-Count', String(deleted));
  }

  @Get(':id')
  get(@Caller() caller: RequestContext, @Param('id', PostIdPipe) id: string, @Query('as_of') asOf: unknown): Promise<PostView> {
    return asOf === undefined ? this.queries.execute(new GetPostQuery(caller, id)) : this.queries.execute(new GetPostAsOfQuery(caller, id, asOf));
  }

  @Put(':id')
  update(@Caller() caller: RequestContext, @Param('id', PostIdPipe) id: string, @Body() body: UpdatePostDto): Promise<PostView> {
    return this.commands.execute(new UpdatePostCommand(caller, id, body));
  }

  /** (from `seeds/002`) Only the given fields change; null clears an optional one; per-platform maps merge (RFC 7386). */
  @Patch(':id')
  patch(@Caller() caller: RequestContext, @Param('id', PostIdPipe) id: string, @Body() body: UpdatePostDto): Promise<PostView> {
    return this.commands.execute(new UpdatePostCommand(caller, id, body, 'merge'));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() caller: RequestContext, @Param('id', PostIdPipe) id: string): Promise<void> {
    await this.commands.execute(new DeletePostCommand(caller, id));
  }

  @Post(':id/publish')
  @HttpCode(202)
  publish(@Caller() caller: RequestContext, @Param('id', PostIdPipe) id: string): Promise<PostView> {
    return this.commands.execute(new PublishPostCommand(caller, id));
  }

  @Post(':id/retry')
  @HttpCode(202)
  retry(@Caller() caller: RequestContext, @Param('id', PostIdPipe) id: string): Promise<PostView> {
    return this.commands.execute(new RetryPostCommand(caller, id));
  }

  @Post(':id/duplicate')
  duplicate(@Caller() caller: RequestContext, @Param('id', PostIdPipe) id: string): Promise<PostView> {
    return this.commands.execute(new DuplicatePostCommand(caller, id));
  }

  @Get(':id/history')
  history(@Caller() caller: RequestContext, @Param('id', PostIdPipe) id: string): Promise<PostHistory> {
    return this.queries.execute(new PostHistoryQuery(caller, id));
  }
}
