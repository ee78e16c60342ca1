export { PostsModule } from './src/posts.module';
export {
  PostCommands,
  asRecordedPostEvent,
  type CommandMeta,
  type ExecuteOptions,
  type LoadedPost,
  type PostCommandInput,
  type PostCommandOutcome,
} from './src/post-commands';
export type { ConnectedAccounts } from './src/connected-accounts';
export { ReadYourWrites, DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS, type ReadYourWritesConfig } from './src/read-your-writes';
export { newPostId, newPublishId, isPostId } from './src/post-ids';
export { bodyShapeProblems, RefuseUnsafeBodies } from './src/refuse-unsafe-bodies';
export { CreatePostDto } from './src/create-post/create-post.dto';
export { UpdatePostDto } from './src/update-post/update-post.dto';
export { ListPostsDto } from './src/list-posts/list-posts.dto';
export { ImageDto, VideoDto, MediaDto, SegmentDto } from './src/post-content.dto';
export type { CreatedPost } from './src/create-post/create-post.command';
export type { PostHistory, PostHistoryEntry } from './src/post-history/post-history.query';
export type { PostValidation, ValidationProblem } from './src/validate-post/validate-post.query';
export type { PostPage } from './src/list-posts/list-posts.query';
export type { PlatformChecks } from './src/platform-checks';
