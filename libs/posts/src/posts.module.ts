import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CreateAndPublishHandler } from './create-and-publish/create-and-publish.handler';
import { CreatePostHandler } from './create-post/create-post.handler';
import { DeletePostHandler } from './delete-post/delete-post.handler';
import { DuplicatePostHandler } from './duplicate-post/duplicate-post.handler';
import { GetPostAsOfHandler } from './get-post-as-of/get-post-as-of.handler';
import { GetPostHandler } from './get-post/get-post.handler';
import { LibraryMedia } from './library-media';
import { ListPostsHandler } from './list-posts/list-posts.handler';
import { PostCommands } from './post-commands';
import { DeleteGroupHandler } from './post-group/delete-group.handler';
import { GroupPostsHandler } from './post-group/group-posts.handler';
import { PostHistoryHandler } from './post-history/post-history.handler';
import { PostsController } from './posts.controller';
import { PublishPostHandler } from './publish-post/publish-post.handler';
import { ReadYourWrites } from './read-your-writes';
import { RetryPostHandler } from './retry-post/retry-post.handler';
import { UpdatePostHandler } from './update-post/update-post.handler';
import { ValidatePostHandler } from './validate-post/validate-post.handler';

export const POST_COMMAND_HANDLERS = [
  CreatePostHandler,
  UpdatePostHandler,
  DeletePostHandler,
  PublishPostHandler,
  RetryPostHandler,
  DuplicatePostHandler,
  DeleteGroupHandler,
  CreateAndPublishHandler,
];

export const POST_QUERY_HANDLERS = [GetPostHandler, GetPostAsOfHandler, ListPostsHandler, PostHistoryHandler, ValidatePostHandler, GroupPostsHandler];

/**
 * The posts feature. Needs, from a global module: EVENT_STORE, POST_READ_MODEL,
 * ACCOUNTS (registry `Accounts`), CLOCK and CONFIG (`readYourWritesTimeoutMs`).
 */
@Module({
  imports: [CqrsModule],
  controllers: [PostsController],
  providers: [PostCommands, ReadYourWrites, LibraryMedia, ...POST_COMMAND_HANDLERS, ...POST_QUERY_HANDLERS],
  exports: [PostCommands],
})
export class PostsModule {}
